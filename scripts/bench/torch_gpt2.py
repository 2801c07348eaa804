#!/usr/bin/python3
"""PyTorch side of `actsh bench`: GPT-2 prefill and cached greedy decode.

A minimal GPT-2 with the math of Hugging Face's GPT2LMHeadModel as it runs
on torch 1.13 (eager attention): Conv1D layers (weight [in, out],
y = addmm(b, x, W)), gelu_new written out as HF's NewGELUActivation does,
causal attention with the finfo.min mask, a head tied to wte, and a KV cache
grown by concatenation as HF's cache does. Debian has no `transformers`, so
the model is ours; the module names are HF's, so steering hooks find
`transformer.h.N.ln_1`, `transformer.h.N.ln_2` and `transformer.ln_f` the
way ml-act finds modules by name.

Steering is a forward hook on each steered LayerNorm (register_forward_hook,
as ml-act's ModelWithHooks does) computing what ml-act's LinearOTHook.forward
(act/hooks/transport.py) computes:

    mask = (lo < z) & (z < hi);  z_ot = λ·(w·z + b) + (1 − λ)·z
    out  = mask·z_ot + (1 − mask)·z

Workloads: prefill (one pass up to ln_f), decode and decode1 (greedy
generation of --new-tokens with the KV cache for the prompts ids.decode,
ids.decode1), longcache (the cost of a cached decode step, for each
--cache-cases name C with prompts ids.C: greedy generation of 1 + --steps
tokens, timing the --steps single-token passes after the prompt's pass,
as the Go side does).

Input: one safetensors file written by the Go bench (weights, the maps as
steer.{w,b,lo,hi}.<point>, the token ids as ids.<name>, the config.json text
in the metadata under "config"). Output: one JSON object on stdout with the
timings and, for the equality checks, the last-position ln_f outputs of the
prefill and the greedy tokens of the decodes.

Run: /usr/bin/python3 torch_gpt2.py --input bench.safetensors --threads 2
"""

import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

import st


class Conv1D(nn.Module):
    """HF's Conv1D: a linear layer with its weight stored [in, out]."""

    def __init__(self, w, b):
        super().__init__()
        self.weight = nn.Parameter(w, requires_grad=False)
        self.bias = nn.Parameter(b, requires_grad=False)

    def forward(self, x):
        size_out = x.size()[:-1] + (self.weight.size(-1),)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


def gelu_new(x):
    """HF's NewGELUActivation (the tanh approximation, written out)."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def layer_norm(w, b, eps):
    ln = nn.LayerNorm(w.shape[0], eps=eps)
    ln.weight = nn.Parameter(w, requires_grad=False)
    ln.bias = nn.Parameter(b, requires_grad=False)
    return ln


class Attention(nn.Module):
    def __init__(self, W, p, n_head):
        super().__init__()
        self.c_attn = Conv1D(W[p + "c_attn.weight"], W[p + "c_attn.bias"])
        self.c_proj = Conv1D(W[p + "c_proj.weight"], W[p + "c_proj.bias"])
        self.n_head = n_head

    def split(self, x):
        B, T, D = x.shape
        return x.view(B, T, self.n_head, D // self.n_head).permute(0, 2, 1, 3)

    def forward(self, x, past):
        D = x.shape[-1]
        q, k, v = self.c_attn(x).split(D, dim=2)
        q, k, v = self.split(q), self.split(k), self.split(v)
        if past is not None:
            k = torch.cat((past[0], k), dim=-2)
            v = torch.cat((past[1], v), dim=-2)
        w = torch.matmul(q, k.transpose(-1, -2))
        w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        T, S = q.size(-2), k.size(-2)
        causal = torch.ones(S, S, dtype=torch.bool).tril()[S - T : S, :S]
        w = torch.where(causal, w, torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype))
        w = nn.functional.softmax(w, dim=-1).type(v.dtype)
        a = torch.matmul(w, v)
        B = a.shape[0]
        a = a.permute(0, 2, 1, 3).contiguous().view(B, T, D)
        return self.c_proj(a), (k, v)


class MLP(nn.Module):
    def __init__(self, W, p):
        super().__init__()
        self.c_fc = Conv1D(W[p + "c_fc.weight"], W[p + "c_fc.bias"])
        self.c_proj = Conv1D(W[p + "c_proj.weight"], W[p + "c_proj.bias"])

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, W, p, n_head, eps):
        super().__init__()
        self.ln_1 = layer_norm(W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
        self.attn = Attention(W, p + "attn.", n_head)
        self.ln_2 = layer_norm(W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps)
        self.mlp = MLP(W, p + "mlp.")

    def forward(self, x, past):
        a, present = self.attn(self.ln_1(x), past)
        x = x + a
        x = x + self.mlp(self.ln_2(x))
        return x, present


class Transformer(nn.Module):
    def __init__(self, W, cfg):
        super().__init__()
        eps = cfg.get("layer_norm_epsilon", 1e-5)
        self.wte = nn.Embedding.from_pretrained(W["transformer.wte.weight"])
        self.wpe = nn.Embedding.from_pretrained(W["transformer.wpe.weight"])
        self.h = nn.ModuleList(
            [Block(W, "transformer.h.%d." % i, cfg["n_head"], eps) for i in range(cfg["n_layer"])]
        )
        self.ln_f = layer_norm(W["transformer.ln_f.weight"], W["transformer.ln_f.bias"], eps)

    def forward(self, ids, past=None):
        start = 0 if past is None else past[0][0].size(-2)
        pos = torch.arange(start, start + ids.shape[1], dtype=torch.long).unsqueeze(0)
        x = self.wte(ids) + self.wpe(pos)
        presents = []
        for i, block in enumerate(self.h):
            x, p = block(x, None if past is None else past[i])
            presents.append(p)
        return self.ln_f(x), presents


class GPT2LMHeadModel(nn.Module):
    def __init__(self, W, cfg):
        super().__init__()
        self.transformer = Transformer(W, cfg)

    def forward(self, ids, past=None, last_only=True):
        h, presents = self.transformer(ids, past)
        if last_only:  # HF generate's logits_to_keep=1
            h = h[:, -1:, :]
        return F.linear(h, self.transformer.wte.weight), presents


def steering_hook(w, b, lo, hi, lam):
    """A forward hook computing ml-act's LinearOTHook.forward on the output."""

    def hook(module, inputs, z):
        mask = ((lo < z) & (z < hi)).to(z.dtype)
        z_ot = z * w + b
        z_ot = lam * z_ot + (1 - lam) * z
        return mask * z_ot + (1 - mask) * z

    return hook


def prefill(model, ids):
    """One forward pass over the whole batch, up to ln_f (no logits)."""
    h, _ = model.transformer(ids)
    return h[:, -1, :]


def decode(model, ids, new_tokens):
    """Greedy decode with the KV cache: a prefill pass, then one token per pass."""
    logits, past = model(ids)
    out = []
    for step in range(new_tokens):
        nxt = logits[:, -1, :].argmax(dim=-1, keepdim=True)
        out.append(nxt)
        if step == new_tokens - 1:
            break
        logits, past = model(nxt, past)
    return torch.cat(out, dim=1)


def timed(fn, reps):
    t0 = time.perf_counter()
    res = fn()
    warm = time.perf_counter() - t0
    secs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        res = fn()
        secs.append(time.perf_counter() - t0)
    return res, warm, secs


def decode_steps(model, ids, steps):
    """decode(model, ids, 1 + steps), returning the tokens and the seconds
    from the start of the first single-token pass to the end."""
    logits, past = model(ids)
    nxt = logits[:, -1, :].argmax(dim=-1, keepdim=True)
    out = [nxt]
    t0 = time.perf_counter()
    for _ in range(steps):
        logits, past = model(nxt, past)
        nxt = logits[:, -1, :].argmax(dim=-1, keepdim=True)
        out.append(nxt)
    return torch.cat(out, dim=1), time.perf_counter() - t0


def timed_steps(model, ids, steps, reps):
    t0 = time.perf_counter()
    out, _ = decode_steps(model, ids, steps)
    warm = time.perf_counter() - t0
    secs = []
    for _ in range(reps):
        out, d = decode_steps(model, ids, steps)
        secs.append(d)
    return out, warm, secs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--workloads", default="prefill,decode")
    ap.add_argument("--variants", default="plain,steered")
    ap.add_argument("--new-tokens", type=int, default=48)
    ap.add_argument("--strength", type=float, default=0.5)
    ap.add_argument("--cache-cases", default="")
    ap.add_argument("--steps", type=int, default=16)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    W, meta = st.read(a.input)
    cfg = json.loads(meta["config"])
    model = GPT2LMHeadModel(W, cfg).eval()
    modules = dict(model.named_modules())
    points = sorted(k[len("steer.w.") :] for k in W if k.startswith("steer.w."))
    for p in points:
        if p not in modules:
            sys.exit("torch_gpt2: no module named %s" % p)

    results = []
    with torch.no_grad():
        for variant in a.variants.split(","):
            handles = []
            if variant == "steered":
                for p in points:
                    hook = steering_hook(
                        W["steer.w." + p], W["steer.b." + p], W["steer.lo." + p], W["steer.hi." + p], a.strength
                    )
                    handles.append(modules[p].register_forward_hook(hook))
            for wl in a.workloads.split(","):
                r = {"workload": wl, "variant": variant}
                if wl == "prefill":
                    ids = W["ids.prefill"].long()
                    out, r["warmup_s"], r["secs"] = timed(lambda: prefill(model, ids), a.reps)
                    r["last"] = out.tolist()
                elif wl in ("decode", "decode1"):
                    ids = W["ids." + wl].long()
                    out, r["warmup_s"], r["secs"] = timed(lambda: decode(model, ids, a.new_tokens), a.reps)
                    r["tokens"] = out.tolist()
                else:
                    continue
                results.append(r)
            for h in handles:
                h.remove()
        if "longcache" in a.workloads.split(","):
            for case in filter(None, a.cache_cases.split(",")):
                ids = W["ids." + case].long()
                out, warm, secs = timed_steps(model, ids, a.steps, a.reps)
                results.append(
                    {"workload": "longcache", "variant": case, "warmup_s": warm, "secs": secs, "tokens": out.tolist()}
                )
    json.dump(
        {"torch": torch.__version__, "threads": torch.get_num_threads(), "hooks": len(points), "results": results},
        sys.stdout,
    )


if __name__ == "__main__":
    main()
