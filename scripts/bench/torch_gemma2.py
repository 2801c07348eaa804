#!/usr/bin/python3
"""PyTorch side of `actsh bench`'s gemma2 workload: Gemma-2 in bfloat16.

A minimal Gemma2ForCausalLM with the math of Hugging Face's modelling code
(transformers' Gemma2, eager attention) as it runs with torch_dtype=bfloat16:
weights and activations in bf16; RMSNorm computed in float32 with scale
1 + w and cast back; rotary embeddings (rotate_half); grouped-query
attention scaled by query_pre_attn_scalar^-1/2, soft-capped as
c·tanh(s/c) before the causal (and, on even layers, sliding-window) mask,
softmax in float32; gelu_pytorch_tanh MLP; embeddings scaled by √hidden
(rounded to bf16, as HF does); the head tied to embed_tokens and soft-capped
at final_logit_softcapping. The KV cache grows by concatenation.

Workloads: prefill (one pass up to model.norm, no logits) over ids.prefill;
decode (greedy, --new-tokens with the KV cache, logits of the last position
only) after ids.decode.

Input: the checkpoint folder the Go bench wrote (config.json and a bf16
model.safetensors) and a safetensors file of token ids. Output: one JSON
object on stdout with the timings, the last-position model.norm outputs of
the prefill and the greedy tokens of the decode.

Run: /usr/bin/python3 torch_gemma2.py --checkpoint DIR --ids ids.safetensors --threads 2
"""

import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

import st

BF16 = torch.bfloat16


def rms_norm(x, w, eps):
    h = x.float()
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return (h * (1.0 + w.float())).type_as(x)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


class Gemma2:
    def __init__(self, W, cfg):
        self.W, self.cfg = W, cfg
        self.D = cfg["hidden_size"]
        self.H, self.KV, self.hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
        self.eps = cfg.get("rms_norm_eps", 1e-6)
        self.scale = cfg.get("query_pre_attn_scalar", self.hd) ** -0.5
        self.attn_cap = cfg.get("attn_logit_softcapping") or 0
        self.final_cap = cfg.get("final_logit_softcapping") or 0
        self.window = cfg.get("sliding_window") or 0
        theta = cfg.get("rope_theta", 10000.0)
        self.inv_freq = 1.0 / (theta ** (torch.arange(0, self.hd, 2, dtype=torch.int64).float() / self.hd))
        self.embed = W["model.embed_tokens.weight"]
        self.normalizer = torch.tensor(self.D**0.5, dtype=BF16)

    def rope(self, pos):
        freqs = pos[:, :, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(BF16)[:, None], emb.sin().to(BF16)[:, None]

    def layer(self, i, x, cos, sin, past, start):
        W, p = self.W, "model.layers.%d." % i
        B, T, _ = x.shape
        h = rms_norm(x, W[p + "input_layernorm.weight"], self.eps)
        q = F.linear(h, W[p + "self_attn.q_proj.weight"]).view(B, T, self.H, self.hd).transpose(1, 2)
        k = F.linear(h, W[p + "self_attn.k_proj.weight"]).view(B, T, self.KV, self.hd).transpose(1, 2)
        v = F.linear(h, W[p + "self_attn.v_proj.weight"]).view(B, T, self.KV, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if past is not None:
            k, v = torch.cat((past[0], k), dim=2), torch.cat((past[1], v), dim=2)
        present = (k, v)
        rep = self.H // self.KV
        kk, vv = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        s = torch.matmul(q, kk.transpose(2, 3)) * self.scale
        if self.attn_cap:
            s = torch.tanh(s / self.attn_cap) * self.attn_cap
        S = kk.shape[2]
        qi = torch.arange(start, start + T)[:, None]
        ki = torch.arange(S)[None, :]
        allowed = ki <= qi
        if self.window and i % 2 == 0:
            allowed &= ki > qi - self.window
        s = s.masked_fill(~allowed, torch.finfo(s.dtype).min)
        a = torch.matmul(F.softmax(s, dim=-1, dtype=torch.float32).to(BF16), vv)
        a = a.transpose(1, 2).reshape(B, T, self.H * self.hd)
        a = F.linear(a, W[p + "self_attn.o_proj.weight"])
        x = x + rms_norm(a, W[p + "post_attention_layernorm.weight"], self.eps)
        h = rms_norm(x, W[p + "pre_feedforward_layernorm.weight"], self.eps)
        m = F.gelu(F.linear(h, W[p + "mlp.gate_proj.weight"]), approximate="tanh") * F.linear(h, W[p + "mlp.up_proj.weight"])
        m = F.linear(m, W[p + "mlp.down_proj.weight"])
        x = x + rms_norm(m, W[p + "post_feedforward_layernorm.weight"], self.eps)
        return x, present

    def forward(self, ids, past=None):
        start = 0 if past is None else past[0][0].shape[2]
        B, T = ids.shape
        pos = torch.arange(start, start + T)[None].expand(B, T)
        cos, sin = self.rope(pos)
        x = F.embedding(ids, self.embed) * self.normalizer
        presents = []
        for i in range(self.cfg["num_hidden_layers"]):
            x, pr = self.layer(i, x, cos, sin, None if past is None else past[i], start)
            presents.append(pr)
        return rms_norm(x, self.W["model.norm.weight"], self.eps), presents

    def logits(self, h):
        l = F.linear(h, self.embed).float()
        if self.final_cap:
            l = torch.tanh(l / self.final_cap) * self.final_cap
        return l


def decode(model, ids, new_tokens):
    h, past = model.forward(ids)
    out = []
    for step in range(new_tokens):
        nxt = model.logits(h[:, -1, :]).argmax(dim=-1, keepdim=True)
        out.append(nxt)
        if step == new_tokens - 1:
            break
        h, past = model.forward(nxt, past)
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--new-tokens", type=int, default=16)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    cfg = json.load(open(os.path.join(a.checkpoint, "config.json")))
    W, _ = st.read(os.path.join(a.checkpoint, "model.safetensors"))
    ids, _ = st.read(a.ids)
    model = Gemma2(W, cfg)
    results = []
    with torch.no_grad():
        pre = ids["ids.prefill"].long()
        out, warm, secs = timed(lambda: model.forward(pre)[0][:, -1, :], a.reps)
        results.append({"workload": "gemma2", "variant": "prefill", "warmup_s": warm, "secs": secs, "last": out.float().tolist()})
        dec = ids["ids.decode"].long()
        out, warm, secs = timed(lambda: decode(model, dec, a.new_tokens), a.reps)
        results.append({"workload": "gemma2", "variant": "decode", "warmup_s": warm, "secs": secs, "tokens": out.tolist()})
    json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
