#!/usr/bin/python3
"""SIRENs fitted per second: nfn4j's `zoo build-siren` against the same batched loop in PyTorch,
in one run, on the same threads.

The PyTorch side fits a batch of SIRENs 2-32-32-1 (omega 30, nfn's experiments/siren_utils.py
init) to Fashion-MNIST images as one batched computation (einsum / bmm over the batch, autograd,
torch.optim.Adam at lr 1e-3 on the sum of the per-SIREN mean squared errors, which is each
SIREN's own Adam problem), the loop a PyTorch user would write. The nfn4j side runs
`./nfn4j zoo build-siren` with the same images, SIRENs per image, steps and batch in a fresh
folder. Both report SIRENs/s and the mean PSNR.

    /usr/bin/python3 jmh/scripts/siren-vs-torch.py [--images 10] [--per-image 10] [--steps 250] [--batch 100] [--threads 2]

Needs Debian's python3-torch (1.13) and dataset-fashion-mnist.
"""
import argparse
import gzip
import math
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "native"))
from torch_baseline import warn_if_reference_blas  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"


def images(first_train, first_test):
    def idx(name, offset, count, size):
        with gzip.open(os.path.join(DATA, name)) as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)[: count * size].reshape(count, size)

    tr = idx("train-images-idx3-ubyte.gz", 16, first_train, 784)
    te = idx("t10k-images-idx3-ubyte.gz", 16, first_test, 784)
    return np.concatenate([tr, te]).astype(np.float32)


def torch_fit(args):
    torch.set_num_threads(args.threads)
    n_test = args.images // 10
    n_train = args.images - n_test  # train + val images come from the training file
    pix = images(n_train, n_test)
    targets = torch.from_numpy((pix / 255.0 - 0.5) / 0.5).repeat_interleave(args.per_image, 0)  # [N K, 784]
    lin = torch.linspace(-1, 1, 28)
    coords = torch.stack(torch.meshgrid(lin, lin, indexing="ij"), -1).reshape(-1, 2)  # [784, 2]
    total = targets.shape[0]
    gen = torch.Generator().manual_seed(0)

    def uniform(shape, bound):
        return ((torch.rand(shape, generator=gen) * 2 - 1) * bound).requires_grad_()

    psnr = []
    t0 = time.perf_counter()
    for start in range(0, total, args.batch):
        B = min(args.batch, total - start)
        t = targets[start:start + B, :, None]
        hb = math.sqrt(6 / 32) / 30
        W0, b0 = uniform((B, 32, 2), 1 / 2), uniform((B, 32), 1 / math.sqrt(2))
        W1, b1 = uniform((B, 32, 32), hb), uniform((B, 32), 1 / math.sqrt(32))
        W2, b2 = uniform((B, 1, 32), hb), uniform((B, 1), 1 / math.sqrt(32))
        params = [W0, b0, W1, b1, W2, b2]
        opt = torch.optim.Adam(params, lr=1e-3)

        def forward():
            h0 = torch.sin(30 * (torch.einsum("pi,boi->bpo", coords, W0) + b0[:, None, :]))
            h1 = torch.sin(30 * (torch.bmm(h0, W1.transpose(1, 2)) + b1[:, None, :]))
            return torch.bmm(h1, W2.transpose(1, 2)) + b2[:, None, :]  # [B, 784, 1]

        for _ in range(args.steps):
            opt.zero_grad(set_to_none=True)
            loss = ((forward() - t) ** 2).mean(dim=(1, 2)).sum()
            loss.backward()
            opt.step()
        with torch.no_grad():
            mse = ((forward() - t) ** 2).mean(dim=(1, 2))
        psnr += (10 * torch.log10(4 / mse)).tolist()
    seconds = time.perf_counter() - t0
    return total / seconds, float(np.mean(psnr)), seconds, total


def nfn4j_fit(args, root):
    out = tempfile.mkdtemp(prefix="siren-bench-")
    cmd = [os.path.join(root, "nfn4j"), "zoo", "build-siren", "--out", os.path.join(out, "zoo"), "--images", str(args.images),
           "--per-image", str(args.per_image), "--steps", str(args.steps), "--batch", str(args.batch), "--threads", str(args.threads)]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit("nfn4j failed:\n" + r.stdout + r.stderr)
    fit = re.search(r"fitted in ([0-9.]+) s \(([0-9.]+) SIRENs/s", r.stdout)
    mean = re.search(r"PSNR\s+mean ([0-9.]+) dB", r.stdout)
    return float(fit.group(2)), float(mean.group(1)), float(fit.group(1)), wall


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=10)
    p.add_argument("--per-image", type=int, default=10)
    p.add_argument("--steps", type=int, default=250)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cpu0 = os.times()
    rate_t, psnr_t, sec_t, total = torch_fit(args)
    cpu1 = os.times()
    rate_n, psnr_n, sec_n, wall_n = nfn4j_fit(args, root)
    cpu2 = os.times()
    print(f"{total} SIRENs 2-32-32-1, {args.steps} Adam steps each, batch {args.batch}, {args.threads} threads, torch {torch.__version__}")
    print(f"pytorch  {rate_t:7.2f} SIRENs/s  ({sec_t:.1f} s, {cpu1.user - cpu0.user:.1f} s user CPU)  mean PSNR {psnr_t:.2f} dB; BLAS {warn_if_reference_blas()}")
    print(f"nfn4j    {rate_n:7.2f} SIRENs/s  ({sec_n:.1f} s fitting, {wall_n:.1f} s with JVM start, {cpu2.children_user - cpu1.children_user:.1f} s user CPU)"
          f"  mean PSNR {psnr_n:.2f} dB")
    print(f"nfn4j / pytorch: {rate_n / rate_t:.2f}x")


if __name__ == "__main__":
    main()
