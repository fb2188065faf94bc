#!/usr/bin/env python3
"""nfn4j -> PyTorch nfn: does an nfn4j checkpoint load into the real nfn, by name, and predict the same?

Builds the nn.Sequential that the checkpoint's metadata describes from the *real* nfn package
(HNPLinear / NPLinear, TupleOp(activation), HNPPool / NPPool, Flatten, the Linear head, Sigmoid),
loads best.safetensors with load_state_dict(strict=True) (every name and shape must match, nothing
extra), draws random networks of the checkpoint's architecture, and compares nfn's predictions
with `nfn4j predict` on the same networks (written as a flat .npy in state_dict order).

Not part of CI: nfn and its einops dependency come from PyPI, which this project's machines cannot
reach. Run it where both are importable (a checkout of each on PYTHONPATH is enough; PyTorch 1.13+):

    PYTHONPATH=/path/to/nfn:/path/to/einops python3 scripts/nfn_interop_check.py CHECKPOINT [--networks 6] [--nfn4j ./nfn4j]

Supported: kinds HNP, NP, NP_IO; pools HNP, NP; no Fourier features, no append-stats; a checkpoint trained with
--no-normalize (with a normalizer, nfn's NormalizingModule would have to apply it first). Exits 1
when a prediction differs by more than --tol.
"""
import argparse
import json
import struct
import subprocess
import sys
import tempfile
from collections import OrderedDict

import numpy as np
import torch
from torch import nn


def read_safetensors(path):
    """{name: float32 array}, metadata; F32 only (what nfn4j writes)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = OrderedDict()
    for name, t in header.items():
        if t["dtype"] != "F32":
            sys.exit(f"{path}: tensor {name} is {t['dtype']}, this check reads F32")
        lo, hi = t["data_offsets"]
        tensors[name] = np.frombuffer(data[lo:hi], dtype="<f4").reshape(t["shape"]).copy()
    return tensors, meta


ACTS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "sigmoid": nn.Sigmoid}


def build(model, sizes, filters):
    """The nfn nn.Sequential for nfn4j's ModelConfig, with the NetworkSpec nfn derives from a sample."""
    from nfn.common import WeightSpaceFeatures, network_spec_from_wsfeat
    from nfn.layers import HNPLinear, NPLinear, HNPPool, NPPool, TupleOp, ChannelDropout

    if any(f is not None for f in filters):
        sys.exit("this check covers MLP specs (dense layers) only")
    if model["fourier"] > 0:
        sys.exit("Fourier input features are not covered by this check")
    if model.get("appendStats"):
        sys.exit("append-stats has no runnable nfn counterpart: nfn's InvariantNFN(append_stats=True) concatenates "
                 "the statistics before its head's pooling, which fails")
    kind, act = model["kind"], model["act"].lower()
    if kind not in ("HNP", "NP", "NP_IO") or model["pool"] not in ("HNP", "NP") or act not in ACTS:
        sys.exit(f"unsupported model for this check: {model}")
    sample = WeightSpaceFeatures(
        [torch.zeros(1, 1, sizes[i + 1], sizes[i]) for i in range(len(sizes) - 1)],
        [torch.zeros(1, 1, sizes[i + 1]) for i in range(len(sizes) - 1)])
    spec = network_spec_from_wsfeat(sample)
    mods, c = [], 1
    for h in model["hidden"]:
        if kind == "HNP":
            mods.append(HNPLinear(spec, in_channels=c, out_channels=h))
        else:
            mods.append(NPLinear(spec, in_channels=c, out_channels=h, io_embed=kind == "NP_IO"))
        mods.append(TupleOp(ACTS[act]()))
        if model["dropout"] > 0:
            mods.append(ChannelDropout(model["dropout"]))
        c = h
    pool = HNPPool if model["pool"] == "HNP" else NPPool
    mods += [pool(spec), nn.Flatten(start_dim=-2)]
    width = c * pool.get_num_outs(spec)
    for h in model["head"]:
        mods += [nn.Linear(width, h), nn.ReLU()]
        width = h
    mods += [nn.Linear(width, 1), nn.Sigmoid()]
    return nn.Sequential(*mods)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--networks", type=int, default=6)
    ap.add_argument("--nfn4j", default="./nfn4j", help="the nfn4j launcher (or 'java -jar .../nfn4j-cli.jar')")
    ap.add_argument("--tol", type=float, default=1e-5)
    args = ap.parse_args()

    params, meta = read_safetensors(args.checkpoint)
    if "normalizer" in meta:
        sys.exit(f"{args.checkpoint} was trained with input normalization; train with --no-normalize for this check")
    model_cfg, spec_json = json.loads(meta["model"]), json.loads(meta["network_spec"])
    sizes, filters = spec_json["sizes"], spec_json["filters"]
    net = build(model_cfg, sizes, filters).eval()
    net.load_state_dict({k: torch.from_numpy(v) for k, v in params.items()}, strict=True)
    print(f"loaded {len(params)} tensors into nfn's {type(net).__name__} by name (strict): "
          f"{model_cfg['kind']} {model_cfg['hidden']} pool {model_cfg['pool']} head {model_cfg['head']} on MLP {sizes}")

    rng = np.random.default_rng(0)
    weights = [rng.normal(0, 0.5, (args.networks, sizes[i + 1], sizes[i])).astype(np.float32) for i in range(len(sizes) - 1)]
    biases = [rng.normal(0, 0.1, (args.networks, sizes[i + 1])).astype(np.float32) for i in range(len(sizes) - 1)]
    flat = np.concatenate([np.concatenate([w.reshape(args.networks, -1), b], axis=1) for w, b in zip(weights, biases)], axis=1)

    from nfn.common import WeightSpaceFeatures
    with torch.no_grad():
        ws = WeightSpaceFeatures([torch.from_numpy(w)[:, None] for w in weights], [torch.from_numpy(b)[:, None] for b in biases])
        want = net(ws).reshape(-1).numpy()

    with tempfile.TemporaryDirectory() as d:
        npy = f"{d}/networks.npy"
        np.save(npy, flat)
        out = subprocess.run(args.nfn4j.split() + ["predict", args.checkpoint, npy], capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"nfn4j predict failed ({out.returncode}):\n{out.stderr}")
        got = np.array([float(line.split("\t")[1]) for line in out.stdout.splitlines() if "\t" in line])
    if got.shape != want.shape:
        sys.exit(f"nfn4j printed {got.shape[0]} predictions for {want.shape[0]} networks:\n{out.stdout}")
    diff = np.abs(got - want).max()
    for g, w in zip(got, want):
        print(f"  nfn {w:.7f}   nfn4j {g:.7f}")
    print(f"max |nfn4j - nfn| = {diff:.2e} over {len(want)} networks (tolerance {args.tol:g})")
    sys.exit(0 if diff <= args.tol else 1)


if __name__ == "__main__":
    main()
