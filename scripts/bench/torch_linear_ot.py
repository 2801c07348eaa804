#!/usr/bin/python3
"""PyTorch side of `actsh bench fit`: Linear-AcT estimation as ml-act does it.

This mirrors, step by step and written independently, the non-gradient path
of ml-act's Linear-AcT fit (github.com/apple/ml-act):

  - act/hooks/transport.py, LearnableOTHook.fit: responses to float32,
    boolean labels (True = source), then a Python loop over units, each
    unit's source and target columns sorted with torch.sort
    (act/optimal_transport/ot_maps.py, solve_ot_1d);
  - act/utils/quantiles.py, compute_quantiles: torch.quantile of the
    source at the nine supports' levels, as the fit always computes them;
  - act/optimal_transport/archs.py, LinearProj.optimize (reached through
    LinearOTHook._fit_net): float64 numpy least squares over all units at
    once, with 1e-8·randn noise added to the sorted source after its mean.

One "fit" is that procedure for every point of a model: the input's
tensors responses.<i> [n_src + n_dst, units] sharing one labels tensor [n].
Two variants are timed: "ml-act", exactly the steps above, and
"one-support", the same with only the q_0_100 quantiles (the support the
fit uses, and the only bounds actsh computes), so that both sides do the
same work. The warm-up is one run of "one-support".

Input: a safetensors file from the Go bench. Output: JSON on stdout with
the timings (warm-up apart, and a breakdown of the last run), and with
--out a safetensors file of the fitted w.<i>, b.<i> so the bench can check
that both sides computed the same maps.

Run: /usr/bin/python3 torch_linear_ot.py --input resp.safetensors --threads 2
"""

import argparse
import json
import sys
import time

import numpy as np
import torch
from torch import nn

import st

LEVELS = [(0.0, 1.0), (0.005, 0.995), (0.01, 0.99), (0.02, 0.98), (0.05, 0.95), (0.1, 0.9), (0.2, 0.8), (0.3, 0.7), (0.4, 0.6)]


class Affine(nn.Module):
    """The per-unit map z·w + b (ml-act's LinearProj, forward direction)."""

    def __init__(self, dim):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(1, dim))
        self.b1 = nn.Parameter(torch.zeros((1, dim)))


def fit_point(responses, labels, levels, timing):
    t0 = time.perf_counter()
    z = responses.to(torch.float32)
    labels = labels.to(torch.bool)
    src, dst = z[labels], z[~labels]
    dim = src.shape[-1]
    src_sorted, dst_sorted = torch.empty_like(src), torch.empty_like(dst)
    for j in range(dim):  # the per-unit loop
        assert len(src[:, j]) == len(dst[:, j])
        src_sorted[:, j], _ = torch.sort(src[:, j], 0)
        dst_sorted[:, j], _ = torch.sort(dst[:, j], 0)
    t1 = time.perf_counter()
    bounds = {lv: (torch.quantile(src, q=lv[0], dim=0), torch.quantile(src, q=lv[1], dim=0)) for lv in levels}
    t2 = time.perf_counter()
    net = Affine(dim)
    x = src_sorted.cpu().numpy().astype(np.float64)
    y = dst_sorted.cpu().numpy().astype(np.float64)
    mx = np.mean(x, axis=0, keepdims=True)
    my = np.mean(y, axis=0, keepdims=True)
    x += 1e-8 * np.random.randn(*x.shape)
    xc, yc = x - mx, y - my
    w = np.sum(xc * yc, axis=0, keepdims=True) / np.sum(xc**2, axis=0, keepdims=True)
    b = my - w * mx
    net.load_state_dict({"w1": torch.tensor(w, dtype=torch.float32), "b1": torch.tensor(b, dtype=torch.float32)})
    t3 = time.perf_counter()
    timing["sort_s"] += t1 - t0
    timing["quantiles_s"] += t2 - t1
    timing["lstsq_s"] += t3 - t2
    return net.w1.detach().reshape(-1), net.b1.detach().reshape(-1), bounds[(0.0, 1.0)]


VARIANTS = {"ml-act": LEVELS, "one-support": LEVELS[:1]}


def fit_all(R, points, labels, levels):
    timing = {"sort_s": 0.0, "quantiles_s": 0.0, "lstsq_s": 0.0}
    out = [fit_point(R["responses.%d" % i], labels, levels, timing) for i in range(points)]
    return out, timing


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--out", default="")
    ap.add_argument("--variants", default="ml-act,one-support")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    np.random.seed(0)
    R, _ = st.read(a.input)
    labels = R["labels"]
    points = sum(1 for k in R if k.startswith("responses."))
    results = []
    with torch.no_grad():
        t0 = time.perf_counter()
        maps, _ = fit_all(R, points, labels, VARIANTS["one-support"])
        warm = time.perf_counter() - t0
        for variant in a.variants.split(","):
            secs = []
            for _ in range(a.reps):
                t0 = time.perf_counter()
                maps, timing = fit_all(R, points, labels, VARIANTS[variant])
                secs.append(time.perf_counter() - t0)
            results.append(
                {"workload": "fit", "variant": variant, "warmup_s": warm, "secs": secs, "breakdown": timing}
            )
    if a.out:
        t = {}
        for i, (w, b, _) in enumerate(maps):
            t["w.%d" % i], t["b.%d" % i] = w, b
        st.write(a.out, t)
    json.dump(
        {"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results},
        sys.stdout,
    )


if __name__ == "__main__":
    main()
