#!/usr/bin/env python3
"""Writes the float32 Adam/AdamW fixture: torch.optim.Adam and AdamW (PyTorch 1.13, CPU, float32,
foreach off as in 1.13's default) run on random parameters and gradients, every state recorded.

    python3 scripts/torch_adam_fixture.py java/core/src/test/conformance/torch-optim/adam_float32.safetensors

Per case <c>: `<c>.param0 [n]`, `<c>.grad [steps, n]`, and after each step `<c>.param`, `<c>.m`
(exp_avg), `<c>.v` (exp_avg_sq), each `[steps, n]`, all F32. The metadata `cases` lists the
case names; `<c>.config` is the case's JSON (optimizer, lr, beta1, beta2, eps, weight_decay).
Gradients span magnitudes 1e-10..10 (some near eps, so rounding in the denominator matters) and
include exact zeros; n = 333 leaves a tail after whole vectors of any width.
"""
import json
import struct
import sys

import numpy as np
import torch

CASES = [
    ("adam", "Adam", dict(lr=1e-3)),
    ("adam_l2", "Adam", dict(lr=3e-2, betas=(0.8, 0.95), eps=1e-4, weight_decay=0.05)),
    ("adam_l2_small", "Adam", dict(lr=1e-4, weight_decay=1e-3)),
    ("adamw", "AdamW", dict(lr=1e-2, weight_decay=0.1)),
    ("adamw_betas", "AdamW", dict(lr=1e-3, betas=(0.9, 0.99), eps=1e-6, weight_decay=1e-2)),
]
N, STEPS = 333, 7


def case_tensors(name, optimizer, kwargs, gen):
    p0 = torch.randn(N, generator=gen)
    grads = torch.randn(STEPS, N, generator=gen) * 10.0 ** torch.empty(STEPS, N).uniform_(-10, 1, generator=gen)
    grads[:, ::17] = 0.0
    param = torch.nn.Parameter(p0.clone())
    opt = getattr(torch.optim, optimizer)([param], **kwargs)
    params, ms, vs = [], [], []
    for t in range(STEPS):
        param.grad = grads[t].clone()
        opt.step()
        state = opt.state[param]
        params.append(param.detach().clone())
        ms.append(state["exp_avg"].clone())
        vs.append(state["exp_avg_sq"].clone())
    d = opt.defaults
    config = dict(optimizer=optimizer, lr=d["lr"], beta1=d["betas"][0], beta2=d["betas"][1], eps=d["eps"],
                  weight_decay=d["weight_decay"])
    tensors = {f"{name}.param0": p0, f"{name}.grad": grads, f"{name}.param": torch.stack(params),
               f"{name}.m": torch.stack(ms), f"{name}.v": torch.stack(vs)}
    return tensors, json.dumps(config)


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for key, t in tensors.items():
        raw = t.contiguous().numpy().astype("<f4").tobytes()
        header[key] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main(path):
    gen = torch.Generator().manual_seed(2023)
    tensors, metadata = {}, {"torch": torch.__version__, "cases": ",".join(c[0] for c in CASES)}
    for name, optimizer, kwargs in CASES:
        t, config = case_tensors(name, optimizer, kwargs, gen)
        tensors.update(t)
        metadata[f"{name}.config"] = config
    write_safetensors(path, tensors, metadata)


if __name__ == "__main__":
    main(sys.argv[1])
