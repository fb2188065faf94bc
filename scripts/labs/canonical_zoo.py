#!/usr/bin/env python3
"""Lab (issue 6, BENCHMARKS.md "Symmetry canonical forms"): rewrites a Small CNN Zoo folder built
by `nfn4j zoo build-cnn` with each network moved to a canonical point of its symmetry orbit, its
function unchanged:

  sign  tanh networks: each hidden channel's incoming filters, bias and outgoing weights negated
        where the sum of its incoming weights and bias is negative (tanh is odd);
  both  also ReLU networks: each hidden channel scaled to unit incoming norm (filters and bias),
        the scale pushed into the next layer (ReLU is positively homogeneous).

Then checks the logits of a few networks on random inputs, in float64, before and after.
Needs python3-numpy (Debian). Usage: canonical_zoo.py SRC DST sign|both
"""
import csv, gzip, os, shutil, sys
import numpy as np

# (kernel start, TensorFlow kernel shape, bias start) per layer of the zoo's CNN (layout.csv)
LAYERS = [(0, (3, 3, 1, 16), 144), (160, (3, 3, 16, 16), 2464), (2480, (3, 3, 16, 16), 4784), (4800, (16, 10), 4960)]


def tensors(row):
    return [(row[k:k + int(np.prod(s))].reshape(s), row[b:b + s[-1]]) for k, s, b in LAYERS]


def canonical(row, act, mode):
    t = tensors(row)  # views: edits write through to row
    for l in range(3):
        (k, b), nxt = t[l], t[l + 1][0]
        fan_in = k.reshape(-1, k.shape[-1])
        if act == "tanh":
            f = np.where(fan_in.sum(0) + b >= 0, 1.0, -1.0)
            k *= f; b *= f
        elif act == "relu" and mode == "both":
            r = np.sqrt((fan_in ** 2).sum(0) + b ** 2)
            r = np.where(r > 0, r, 1.0)
            k /= r; b /= r
            f = r
        else:
            continue
        if nxt.ndim == 4: nxt *= f[None, None, :, None]
        else: nxt *= f[:, None]


def logits(row, act, x):
    """conv3x3 stride 2 (zero padding) -> act, three times -> global average pool -> dense."""
    fn = np.tanh if act == "tanh" else (lambda v: np.maximum(v, 0))
    t = tensors(row)
    for k, b in t[:3]:
        o = (x.shape[0] + 1) // 2
        xp = np.pad(x, ((0, 2), (0, 2), (0, 0)))
        y = sum(np.einsum("hwc,cd->hwd", xp[i:i + 2 * o:2, j:j + 2 * o:2], k[i, j]) for i in range(3) for j in range(3))
        x = fn(y + b)
    return x.mean((0, 1)) @ t[3][0] + t[3][1]


def main(src, dst, mode):
    os.makedirs(dst, exist_ok=True)
    w = np.load(os.path.join(src, "weights.npy"), mmap_mode="r")
    acts = [r["config.activation"] for r in csv.DictReader(gzip.open(os.path.join(src, "metrics.csv.gz"), "rt"))]
    assert len(acts) == w.shape[0], "metrics.csv.gz must have one row per weights.npy row"
    out = np.lib.format.open_memmap(os.path.join(dst, "weights.npy"), mode="w+", dtype=np.float32, shape=w.shape)
    for n in range(w.shape[0]):
        row = np.array(w[n], dtype=np.float64)
        canonical(row, acts[n], mode)
        out[n] = row.astype(np.float32)
    out.flush()
    for f in ("layout.csv", "metrics.csv.gz", "build.json"):
        shutil.copy(os.path.join(src, f), os.path.join(dst, f))
    rng = np.random.default_rng(0)
    for n in [i for i in range(w.shape[0]) if acts[i] in ("tanh", "relu")][:12]:
        x = rng.standard_normal((28, 28, 1))
        a, b = logits(np.array(w[n], np.float64), acts[n], x), logits(np.array(out[n], np.float64), acts[n], x)
        print(f"network {n} ({acts[n]}): logits differ by {np.abs(a - b).max() / (np.abs(a).max() + 1e-12):.1e} relative")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[3] not in ("sign", "both"):
        sys.exit(__doc__)
    main(*sys.argv[1:])
