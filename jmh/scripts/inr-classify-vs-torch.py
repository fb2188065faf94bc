#!/usr/bin/python3
"""INR-classification training steps per second: nfn4j's `train --task classify` against a
PyTorch re-statement of the same model, in one run, on the same threads.

nfn itself is not installable here, so the PyTorch side is nfn's InvariantNFN for INR
classification re-stated with the layers of native/torch_baseline.py (NPLinear, HNPLinear and
HNPPool written as nfn writes them and checked there against nfn's fixtures): Gaussian Fourier
features (nfn's GaussianFourierFeatureTransform), NF-Layers each followed by ReLU, HNPPool,
flatten, an MLP head to 10 logits, cross-entropy, torch.optim.Adam; eager mode. Its inputs are
SIRENs of the zoo, standardized per tensor as nfn4j does. The nfn4j side trains the same model for
two epochs on a subset of the zoo holding batch x steps training SIRENs and reports the second
epoch's steps per second (the first warms the JIT up). Also printed: CPU seconds per step, PyTorch's
over its timed steps, nfn4j's over its whole process (start-up, JIT, evaluations included), since on
a host loaded by other jobs the wall-clock rates depend on how the scheduler treats each side's
threads (PyTorch's OpenMP threads spin while they wait for each other).

    /usr/bin/python3 jmh/scripts/inr-classify-vs-torch.py [--zoo /tmp/siren-zoo-default] [--model hnp]
        [--hidden 32,32,32] [--fourier 16] [--head 1000,1000] [--batch 32] [--steps 40] [--threads 2]

Needs Debian's python3-torch (1.13) and a SIREN zoo (nfn4j zoo build-siren).
"""
import argparse
import csv
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "native"))
from torch_baseline import Spec, HNPLinear, NPLinear, HNPPool, TupleReLU, warn_if_reference_blas  # noqa: E402

SIZES = [2, 32, 32, 1]
TENSORS = [(32, 2), (32,), (32, 32), (32,), (1, 32), (1,)]  # a SIREN's state_dict, in order


class Fourier(nn.Module):
    """nfn's GaussianFourierFeatureTransform on one input channel: [sin(2 pi x B), cos(2 pi x B)]."""

    def __init__(self, mapping, scale):
        super().__init__()
        self.register_buffer("_B", torch.randn((1, mapping)) * scale)

    def enc(self, x):
        x = 2 * math.pi * (x.transpose(1, -1) @ self._B).transpose(1, -1)
        return torch.cat([torch.sin(x), torch.cos(x)], dim=1)

    def forward(self, ws):
        return tuple(self.enc(w) for w in ws[0]), tuple(self.enc(b) for b in ws[1])


def model(spec, mode, hidden, fourier, scale, head):
    mods, c = [], 1
    if fourier > 0:
        mods.append(Fourier(fourier, scale))
        c = 2 * fourier
    for h in hidden:
        mods += [HNPLinear(spec, c, h) if mode == "hnp" else NPLinear(spec, c, h, io_embed=(mode == "np_io")), TupleReLU()]
        c = h
    width = spec.n_in + 1 + 2 + spec.n_out + spec.n_out
    mods += [HNPPool(), nn.Flatten()]
    prev = width * c
    for h in head:
        mods += [nn.Linear(prev, h), nn.ReLU()]
        prev = h
    mods.append(nn.Linear(prev, 10))
    return nn.Sequential(*mods)


def batches(rows, labels, batch, n):
    """n batches of (weights, biases) tuples in PyTorch's layout [B, 1, out, in] and [B, 1, out], and labels."""
    out = []
    for s in range(n):
        idx = np.arange(s * batch, (s + 1) * batch) % len(rows)
        x, at, ws, bs = rows[idx], 0, [], []
        for k, shape in enumerate(TENSORS):
            size = math.prod(shape)
            t = torch.from_numpy(np.ascontiguousarray(x[:, at:at + size])).reshape(batch, 1, *shape)
            (ws if k % 2 == 0 else bs).append(t)
            at += size
        out.append(((tuple(ws), tuple(bs)), torch.from_numpy(labels[idx]).long()))
    return out


def standardize(rows, train):
    at = 0
    for shape in TENSORS:
        size = math.prod(shape)
        block = rows[train, at:at + size]
        rows[:, at:at + size] = (rows[:, at:at + size] - block.mean()) / block.std()
        at += size
    return rows


def torch_steps_per_second(a, rows, labels):
    torch.manual_seed(0)
    net = model(Spec(SIZES, [None] * 3), a.model, a.hidden, a.fourier, a.fourier_scale, a.head)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    data = batches(rows, labels, a.batch, a.steps + a.warmup)

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()

    for x, y in data[:a.warmup]:
        step(x, y)
    t0, c0 = time.perf_counter(), time.process_time()
    for x, y in data[a.warmup:]:
        step(x, y)
    return a.steps / (time.perf_counter() - t0), (time.process_time() - c0) / a.steps


def subset_zoo(zoo, folder, train_count):
    """A SIREN zoo folder with the first train_count training SIRENs and the first 32 copy-0 val and test SIRENs."""
    rows = list(csv.DictReader(open(os.path.join(zoo, "sirens.csv"))))
    pick = [i for i, r in enumerate(rows) if r["split"] == "train"][:train_count]
    for split in ("val", "test"):
        pick += [i for i, r in enumerate(rows) if r["split"] == split and r["copy"] == "0"][:32]
    w = np.load(os.path.join(zoo, "weights.npy"), mmap_mode="r")
    np.save(os.path.join(folder, "weights.npy"), np.ascontiguousarray(w[pick]).astype(np.float32))
    with open(os.path.join(folder, "sirens.csv"), "w") as f:
        f.write("index,split,source,image,label,copy,psnr\n")
        for k, i in enumerate(pick):
            r = rows[i]
            f.write(f"{k},{r['split']},{r['source']},{r['image']},{r['label']},{r['copy']},{r['psnr']}\n")


def nfn4j_steps_per_second(a):
    jar = os.path.join(HERE, "..", "..", "java", "cli", "target", "nfn4j-cli.jar")
    java = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "java")
    with tempfile.TemporaryDirectory() as tmp:
        zoo, out = os.path.join(tmp, "zoo"), os.path.join(tmp, "run")
        os.makedirs(zoo)
        subset_zoo(a.zoo, zoo, a.batch * a.steps)
        cmd = [java, "--add-modules", "jdk.incubator.vector", f"-Dnfn4j.threads={a.threads}", "-jar", jar, "train", "--task", "classify",
               "--zoo", zoo, "--out", out, "--epochs", "2", "--batch", str(a.batch), "--model", a.model,
               "--hidden", ",".join(map(str, a.hidden)), "--fourier", str(a.fourier), "--fourier-scale", str(a.fourier_scale),
               "--head", ",".join(map(str, a.head)), "--head-dropout", "0"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        log = [json.loads(line) for line in open(os.path.join(out, "log.jsonl"))]
        return log[1]["train_steps_per_second"], cpu / (2 * a.steps)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--zoo", default="/tmp/siren-zoo-default")
    p.add_argument("--model", default="hnp", choices=["hnp", "np", "np_io"])
    p.add_argument("--hidden", default="32,32,32", type=lambda s: [int(v) for v in s.split(",")])
    p.add_argument("--fourier", default=16, type=int)
    p.add_argument("--fourier-scale", default=1.0, type=float)
    p.add_argument("--head", default="1000,1000", type=lambda s: [int(v) for v in s.split(",")])
    p.add_argument("--batch", default=32, type=int)
    p.add_argument("--steps", default=40, type=int)
    p.add_argument("--warmup", default=5, type=int)
    p.add_argument("--threads", default=2, type=int)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    w = np.load(os.path.join(a.zoo, "weights.npy"))
    labels = np.array([int(r["label"]) for r in csv.DictReader(open(os.path.join(a.zoo, "sirens.csv")))])
    train = np.arange(min(len(w), a.batch * (a.steps + a.warmup)))
    rows = standardize(w[train].astype(np.float32).copy(), slice(None))
    load = os.getloadavg()[0]
    t, t_cpu = torch_steps_per_second(a, rows, labels[train])
    j, j_cpu = nfn4j_steps_per_second(a)
    print(f"model {a.model} hidden {a.hidden} fourier {a.fourier} head {a.head}, batch {a.batch}, {a.threads} threads, "
          f"load average {load:.1f} -> {os.getloadavg()[0]:.1f}")
    print(f"pytorch {torch.__version__} eager: {t:.2f} steps/s, {t_cpu:.3f} CPU-s per step; BLAS {warn_if_reference_blas()}")
    print(f"nfn4j:                {j:.2f} steps/s ({j / t:.2f}x), {j_cpu:.3f} CPU-s per step (whole JVM run: start-up, JIT,"
          f" both epochs and the evaluations, over the steps)")


if __name__ == "__main__":
    main()
