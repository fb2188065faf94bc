#!/usr/bin/env python3
"""The team's PyTorch baseline for the named workloads (DESIGN.md section 6; issues 3 and 4).

NPLinear, HNPLinear, HNPPool and the paper's invariant model written the way the reference
`nfn` package writes them (1x1 convolutions, means, concatenations, broadcasts; nfn's parameter
names, so its state_dict loads unchanged), timed eagerly and under torch.compile on one device.
GPU timings are medians of CUDA-event timings after warm-up; on the CPU, of wall-clock times.
Also measures the device's copy bandwidth (one large device-to-device copy, bytes read plus
written). `--check-fixtures DIR` first checks these modules against the conformance fixtures
made by nfn itself (float64), so the baseline is known to compute nfn's function.

    python3 native/torch_baseline.py --device cuda --out torch_baseline.json
    python3 native/torch_baseline.py --device cpu --only np_mlp256_c32_fwd --reps 3 --warmup 1

Workload definitions mirror jmh/src/main/java/dev/nfn4j/jmh/Workloads.java (NAMED); each
result carries its definition and native/gpu_summary.py checks that both sides agree.
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time
import traceback

import torch
import torch.nn.functional as F
from torch import nn

ZOO_SIZES, ZOO_FILTERS = [1, 16, 16, 16, 10], [[3, 3], [3, 3], [3, 3], None]


def _layer(name, kind, mode, sizes, c, batch):
    return dict(name=name, kind=kind, mode=mode, sizes=sizes, filters=[None] * (len(sizes) - 1),
                cin=c, cout=c, batch=batch, hidden=None, head=0)


def _train(name, mode, batch):
    return dict(name=name, kind="TRAIN_STEP", mode=mode, sizes=ZOO_SIZES, filters=ZOO_FILTERS,
                cin=1, cout=1, batch=batch, hidden=[16, 16, 5], head=1000)


# Same names, order and shapes as Workloads.NAMED.
WORKLOADS = [
    _train("zoo_hnp_train_step", "HNP", 8),
    _train("zoo_np_train_step", "NP_IO", 8),
    _layer("np_mlp256_c32_fwd", "FORWARD", "NP", [256, 256, 256, 10], 32, 8),
    _layer("np_mlp256_c32_fwd_bwd", "FORWARD_BACKWARD", "NP", [256, 256, 256, 10], 32, 8),
    _layer("hnp_siren_c128_fwd_bwd", "FORWARD_BACKWARD", "HNP", [2, 32, 32, 1], 128, 32),
    _train("zoo_hnp_train_step_b256", "HNP", 256),
    _layer("np_mlp1024_c32_fwd", "FORWARD", "NP", [1024, 1024, 1024, 10], 32, 16),
    _layer("np_mlp1024_c32_fwd_bwd", "FORWARD_BACKWARD", "NP", [1024, 1024, 1024, 10], 32, 16),
]


# ---------------------------------------------------------------------------------------------
# The layers, as nfn writes them. A weight-space batch is (weights, biases): tuples of
# W_i [B, C, n_i, n_{i-1}(, h, w)] and b_i [B, C, n_i], PyTorch's layout.

class Spec:
    """nfn's NetworkSpec: per layer the weight shape (n_i, n_{i-1}[, h, w]) and bias shape (n_i,)."""

    def __init__(self, sizes, filters):
        self.sizes = list(sizes)
        self.filters = [None if f is None else list(f) for f in filters]
        self.weight_shapes = [(sizes[i + 1], sizes[i]) + tuple(self.filters[i] or ()) for i in range(len(sizes) - 1)]

    def __len__(self):
        return len(self.weight_shapes)

    def fac(self, i):
        """Filter positions of layer i (1 for a dense layer)."""
        return math.prod(self.weight_shapes[i][2:])

    @property
    def n_in(self):
        return self.sizes[0]

    @property
    def n_out(self):
        return self.sizes[-1]


def to_symmetry_shape(ws, spec):
    """b c o i h w -> b (c h w) o i: conv layers become dense layers with C*h*w channels (nfn's shape_wsfeat_symmetry)."""
    weights = []
    for w, shape in zip(ws[0], spec.weight_shapes):
        if len(shape) == 4:
            b, c, o, i, h, k = w.shape
            w = w.permute(0, 1, 4, 5, 2, 3).reshape(b, c * h * k, o, i)
        weights.append(w)
    return tuple(weights), ws[1]


def from_symmetry_shape(ws, spec):
    """The inverse: b (c h w) o i -> b c o i h w."""
    weights = []
    for w, shape in zip(ws[0], spec.weight_shapes):
        if len(shape) == 4:
            h, k = shape[2:]
            b, chw, o, i = w.shape
            w = w.reshape(b, chw // (h * k), h, k, o, i).permute(0, 1, 4, 5, 2, 3)
        weights.append(w)
    return tuple(weights), ws[1]


def add_np_maps(module, i, f, cin, cout, row_in, col_in, n_rc):
    """The six maps of an NP-style layer i, nfn's names: the 1x1 conv over every entry, the global
    (rc), row (r) and column (c) terms, and the bias's column and global terms."""
    module.add_module(f"layer_{i}", nn.Conv2d(f * cin, f * cout, 1))
    module.add_module(f"layer_{i}_rc", nn.Linear(n_rc * cin, f * cout))
    module.add_module(f"layer_{i}_r", nn.Conv1d(row_in, f * cout, 1))
    module.add_module(f"layer_{i}_c", nn.Conv1d(col_in, f * cout, 1))
    module.add_module(f"bias_{i}", nn.Conv1d(col_in, cout, 1))
    module.add_module(f"bias_{i}_rc", nn.Linear(n_rc * cin, cout))


def np_maps(module, i, w, g, rows, cols):
    """Layer i's output (W'_i, b'_i) from W_i, the global vector g and the lists of row- and column-indexed inputs."""
    cols = torch.cat(cols, dim=-2)
    z = (getattr(module, f"layer_{i}")(w)
         + getattr(module, f"layer_{i}_rc")(g)[..., None, None]
         + getattr(module, f"layer_{i}_r")(torch.cat(rows, dim=-2)).unsqueeze(-2)   # [B, C', 1, n_{i-1}]
         + getattr(module, f"layer_{i}_c")(cols).unsqueeze(-1))                     # [B, C', n_i, 1]
    return z, getattr(module, f"bias_{i}")(cols) + getattr(module, f"bias_{i}_rc")(g).unsqueeze(-1)


class NPLinear(nn.Module):
    """Every neuron permutable; nfn's NPLinear (optionally with io_embed), parameter names included."""

    def __init__(self, spec, cin, cout, io_embed=False):
        super().__init__()
        self.spec, self.io_embed = spec, io_embed
        L = len(spec)
        facs = [spec.fac(i) for i in range(L)]
        n_rc = L + sum(facs)
        for i in range(L):
            f = facs[i]
            row_in, col_in = f * cin, (f + 1) * cin
            if i > 0:
                row_in += (facs[i - 1] + 1) * cin
            if i < L - 1:
                col_in += facs[i + 1] * cin
            add_np_maps(self, i, f, cin, cout, row_in, col_in, n_rc)
        if io_embed:
            self.in_embed = nn.Parameter(torch.randn(1, facs[0] * cin, 1, spec.n_in))
            self.out_embed = nn.Parameter(torch.randn(1, facs[-1] * cin, spec.n_out, 1))
            self.out_bias_embed = nn.Parameter(torch.randn(1, cin, spec.n_out))

    def forward(self, ws):
        weights, biases = to_symmetry_shape(ws, self.spec)
        if self.io_embed:
            weights = (weights[0] + self.in_embed,) + tuple(weights[1:-1]) + (weights[-1] + self.out_embed,)
            biases = tuple(biases[:-1]) + (biases[-1] + self.out_bias_embed,)
        row_means = [w.mean(dim=-2) for w in weights]              # [B, C f_i, n_{i-1}]
        col_means = [w.mean(dim=-1) for w in weights]              # [B, C f_i, n_i]
        rc_means = [w.mean(dim=(-2, -1)) for w in weights]         # [B, C f_i]
        b_means = [b.mean(dim=-1) for b in biases]                 # [B, C]
        g = torch.cat(rc_means + b_means, dim=-1)
        L = len(weights)
        out_w, out_b = [], []
        for i in range(L):
            rows = [row_means[i]]
            cols = [col_means[i], biases[i]]
            if i > 0:
                rows += [col_means[i - 1], biases[i - 1]]
            if i < L - 1:
                cols.append(row_means[i + 1])
            z, u = np_maps(self, i, weights[i], g, rows, cols)
            out_w.append(z)
            out_b.append(u)
        return from_symmetry_shape((tuple(out_w), tuple(out_b)), self.spec)


class HNPLinear(nn.Module):
    """Only hidden neurons permutable; nfn's HNPLinear, parameter names included."""

    def __init__(self, spec, cin, cout):
        super().__init__()
        self.spec = spec
        L, n_in, n_out = len(spec), spec.n_in, spec.n_out
        facs = [spec.fac(i) for i in range(L)]
        n_rc = n_in * facs[0] + n_out * facs[-1] + L + n_out + sum(facs)
        for i in range(L):
            f = facs[i]
            if i == 0:
                rpt_in = f * n_in + facs[1] + 1 + (n_out * facs[1] if L == 2 else 0)
                self.w0_rpt = nn.Conv1d(rpt_in * cin, n_in * f * cout, 1)
                self.w0_rbdcst = nn.Linear(n_rc * cin, n_in * f * cout)
                self.bias_0 = nn.Conv1d(rpt_in * cin, cout, 1)
                self.bias_0_rc = nn.Linear(n_rc * cin, cout)
            elif i == L - 1:
                cpt_in = f * n_out + facs[i - 1] + (n_in * facs[i - 1] if L == 2 else 0)
                self.wfin_cpt = nn.Conv1d(cpt_in * cin, n_out * f * cout, 1)
                self.wfin_cbdcst = nn.Linear(n_rc * cin, n_out * f * cout)
                self.bias_fin_rc = nn.Linear(n_rc * cin, n_out * cout)
            else:
                row_in = (facs[i - 1] + f + 1) * cin + (n_in * facs[0] * cin if i == 1 else 0)
                col_in = (facs[i + 1] + f + 1) * cin + (n_out * facs[-1] * cin if i == L - 2 else 0)
                add_np_maps(self, i, f, cin, cout, row_in, col_in, n_rc)

    def forward(self, ws):
        weights, biases = to_symmetry_shape(ws, self.spec)
        L = len(weights)
        col_means = [w.mean(dim=-1) for w in weights]
        row_means = [w.mean(dim=-2) for w in weights]
        rc_means = [w.mean(dim=(-1, -2)) for w in weights]
        b_means = [b.mean(dim=-1) for b in biases]
        B = weights[0].shape[0]
        g = torch.cat(rc_means + b_means + [row_means[0].reshape(B, -1), col_means[-1].reshape(B, -1),
                                            biases[-1].reshape(B, -1)], dim=-1)
        # W_0 with its n_in axis folded into channels, per hidden neuron: "b c o i -> b (c i) o"
        w0_by_neuron = weights[0].transpose(-1, -2).reshape(B, -1, weights[0].shape[-2])
        # W_{L-1} with its n_out axis folded into channels, per column: "b c o i -> b (c o) i"
        wl_by_column = weights[-1].reshape(B, -1, weights[-1].shape[-1])
        out_w, out_b = [], []
        for i in range(L):
            w, b = weights[i], biases[i]
            if i == 0:
                rpt = [w0_by_neuron, row_means[1], b] + ([wl_by_column] if L == 2 else [])
                rpt = torch.cat(rpt, dim=-2)
                z = self.w0_rpt(rpt) + self.w0_rbdcst(g)[..., None]     # [B, (C' f n_in), n_0]
                z = z.reshape(B, -1, w.shape[-1], w.shape[-2]).transpose(-1, -2)
                u = self.bias_0(rpt) + self.bias_0_rc(g).unsqueeze(-1)
            elif i == L - 1:
                cpt = [wl_by_column, col_means[-2]] + ([w0_by_neuron] if L == 2 else [])
                z = self.wfin_cpt(torch.cat(cpt, dim=-2)) + self.wfin_cbdcst(g)[..., None]   # [B, (C' f n_out), n_{L-2}]
                z = z.reshape(B, -1, w.shape[-2], w.shape[-1])
                u = self.bias_fin_rc(g).reshape(B, -1, w.shape[-2])
            else:
                rows = [row_means[i], col_means[i - 1], biases[i - 1]] + ([w0_by_neuron] if i == 1 else [])
                cols = [col_means[i], b, row_means[i + 1]] + ([wl_by_column] if i == L - 2 else [])
                z, u = np_maps(self, i, w, g, rows, cols)
            out_w.append(z)
            out_b.append(u)
        return from_symmetry_shape((tuple(out_w), tuple(out_b)), self.spec)


class HNPPool(nn.Module):
    """nfn's HNPPool on PyTorch's layout: layer 0 keeps n_in, the last keeps n_out and its bias, the rest are averaged."""

    def forward(self, ws):
        out, L = [], len(ws[0])
        for i, (w, b) in enumerate(zip(*ws)):
            if i == 0:
                out.append(w.mean(dim=2))
            elif i == L - 1:
                out.append(w.mean(dim=3))
            else:
                out.append(w.mean(dim=(2, 3)).unsqueeze(-1))
            out.append(b if i == L - 1 else b.mean(dim=-1).unsqueeze(-1))
        return torch.cat([torch.flatten(o, start_dim=2) for o in out], dim=-1)


class TupleReLU(nn.Module):
    """ReLU on every weight and bias tensor (nfn's TupleOp(nn.ReLU()))."""

    def forward(self, ws):
        return tuple(F.relu(w) for w in ws[0]), tuple(F.relu(b) for b in ws[1])


def invariant_model(spec, mode, hidden, head):
    """The paper's invariant NFN, nfn's nn.Sequential indices: NF-Layers with ReLU, HNPPool, flatten, MLP head, sigmoid."""
    mods, c = [], 1
    for h in hidden:
        mods += [HNPLinear(spec, c, h) if mode == "HNP" else NPLinear(spec, c, h, io_embed=(mode == "NP_IO")), TupleReLU()]
        c = h
    L = len(spec)
    facs = [spec.fac(i) for i in range(L)]
    width = spec.n_in * facs[0] + 1 + sum(f + 1 for f in facs[1:-1]) + spec.n_out * facs[-1] + spec.n_out
    mods += [HNPPool(), nn.Flatten(), nn.Linear(width * c, head), nn.ReLU(), nn.Linear(head, head), nn.ReLU(),
             nn.Linear(head, 1), nn.Sigmoid()]
    return nn.Sequential(*mods)


def nf_layer(mode, spec, cin, cout):
    return {"NP": lambda: NPLinear(spec, cin, cout), "NP_IO": lambda: NPLinear(spec, cin, cout, True),
            "HNP": lambda: HNPLinear(spec, cin, cout)}[mode]()


# ---------------------------------------------------------------------------------------------
# Timing

def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_ms(fn, warmup, reps, device):
    """Per-rep milliseconds after warm-up: CUDA events around each run on a GPU, the wall clock on the CPU."""
    for _ in range(warmup):
        fn()
    sync(device)
    if device.type == "cuda":
        ev = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(reps)]
        for s, e in ev:
            s.record()
            fn()
            e.record()
        torch.cuda.synchronize(device)
        return [s.elapsed_time(e) for s, e in ev]
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def time_capped(fn, args, device, r, key):
    """Stats of `fn` after one untimed run that estimates its cost: a slow workload gets fewer runs, not a timeout."""
    t0 = time.perf_counter()
    fn()
    sync(device)
    one = time.perf_counter() - t0
    scale = min(1.0, args.max_s_per_workload / max(one * (args.warmup + args.reps), 1e-9))
    reps, warmup = max(5, int(args.reps * scale)), max(1, int(args.warmup * scale))
    if reps < args.reps:
        r[key + "_runs_reduced"] = f"one run took {one * 1e3:.1f} ms: {warmup} + {reps} runs"
    return stats(time_ms(fn, warmup, reps, device))


def quantile(sorted_ms, q):
    if not sorted_ms:
        return float("nan")
    pos = q * (len(sorted_ms) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(sorted_ms) - 1)
    return sorted_ms[lo] + (pos - lo) * (sorted_ms[hi] - sorted_ms[lo])


def stats(ms):
    s = sorted(ms)
    return dict(median_ms=quantile(s, 0.5), p10_ms=quantile(s, 0.1), p90_ms=quantile(s, 0.9), min_ms=s[0] if s else None,
                mean_ms=sum(s) / len(s) if s else None, reps=len(s))


def random_ws(spec, batch, channels, lo, hi, device, generator):
    """A weight-space batch drawn uniformly from [lo, hi) (never zeros)."""
    def draw(*shape):
        return torch.rand(*shape, device=device, generator=generator) * (hi - lo) + lo
    return (tuple(draw(batch, channels, *s) for s in spec.weight_shapes),
            tuple(draw(batch, channels, s[0]) for s in spec.weight_shapes))


def build(w, device, generator):
    """The module, its input and the eager step (a no-argument callable) of a workload, plus what compile should wrap."""
    spec = Spec(w["sizes"], w["filters"])
    if w["kind"] == "TRAIN_STEP":
        model = invariant_model(spec, w["mode"], w["hidden"], w["head"]).to(device)
        x = random_ws(spec, w["batch"], 1, -0.5, 0.5, device, generator)
        target = torch.rand(w["batch"], device=device, generator=generator)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def make_step(fwd):
            def step():
                opt.zero_grad(set_to_none=True)
                loss = F.binary_cross_entropy(fwd(x).squeeze(-1), target)
                loss.backward()
                opt.step()
            return step
        return model, make_step
    layer = nf_layer(w["mode"], spec, w["cin"], w["cout"]).to(device)
    x = random_ws(spec, w["batch"], w["cin"], -1.0, 1.0, device, generator)
    if w["kind"] == "FORWARD":
        def make_fwd(fwd):
            def run():
                with torch.no_grad():
                    fwd(x)
            return run
        return layer, make_fwd
    xg = (tuple(t.clone().requires_grad_(True) for t in x[0]), tuple(t.clone().requires_grad_(True) for t in x[1]))
    params = list(layer.parameters())

    def loss_of(fwd):
        def loss(ws):
            out = fwd(ws)
            return sum((t * t).sum() for t in out[0] + out[1])
        return loss

    def make_fwd_bwd(fwd):
        loss = loss_of(fwd)

        def run():
            for t in params + list(xg[0]) + list(xg[1]):
                t.grad = None
            loss(xg).backward()
        return run
    return layer, make_fwd_bwd


def run_eager(w, args, device):
    """Builds the workload (seeded: the compile pass rebuilds the same) and times it eagerly."""
    r = dict(name=w["name"], definition=w)
    gen = torch.Generator(device=device)
    gen.manual_seed(2)
    t0 = time.time()
    module, make = build(w, device, gen)
    r["parameters"] = sum(p.numel() for p in module.parameters())
    r["eager"] = time_capped(make(module), args, device, r, "eager")
    r["eager_s"] = time.time() - t0
    return r


def run_compiled(w, args, device, r):
    """torch.compile of the same workload; a failure is recorded in r, never raised."""
    gen = torch.Generator(device=device)
    gen.manual_seed(2)
    try:
        t0 = time.time()
        module, make = build(w, device, gen)
        compiled = make(torch.compile(module, mode=args.compile_mode))
        compiled()  # the compile itself, kept out of the timings
        sync(device)
        r["compile_s"] = time.time() - t0
        r["compiled"] = time_capped(compiled, args, device, r, "compiled")
    except Exception as e:  # a compile failure is a result, not a reason to stop
        r["compile_error"] = f"{type(e).__name__}: {e}"[:3000]
        r["compile_traceback"] = traceback.format_exc()[-3000:]


# Compiles are slow (tens of seconds each): the ones the targets need go first, so a time
# budget cuts the others.
COMPILE_FIRST = ["np_mlp1024_c32_fwd", "np_mlp1024_c32_fwd_bwd"]


def copy_bandwidth(mib, warmup, reps, device):
    """One device-to-device copy of `mib` MiB: bytes read plus written over the median time."""
    n = mib << 18
    src = torch.rand(n, device=device)
    dst = torch.empty_like(src)
    ms = time_ms(lambda: dst.copy_(src), warmup, reps, device)
    s = stats(ms)
    s["bytes"] = 8.0 * n
    s["gbps"] = s["bytes"] / (s["median_ms"] * 1e6)
    del src, dst
    return s


# ---------------------------------------------------------------------------------------------
# Fixture check: the conformance fixtures made by nfn (float64) against these modules.

def read_safetensors(path):
    """A plain safetensors reader (the package is not everywhere): {name: tensor}, metadata. A
    NAME.safetensors.gz is read gzip-decompressed, as nfn4j's reader does."""
    dtypes = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "I64": torch.int64}
    with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = bytearray(f.read())
    meta = header.pop("__metadata__", {})
    out = {}
    for k, v in header.items():
        a, b = v["data_offsets"]
        t = torch.frombuffer(data[a:b], dtype=dtypes[v["dtype"]]) if b > a else torch.zeros(0, dtype=dtypes[v["dtype"]])
        out[k] = t.reshape(v["shape"]).clone()
    return out, meta


def rel_err(got, want):
    got, want = got.double().flatten(), want.double().flatten()
    return float((got - want).norm() / max(float(want.norm()), 1e-30))


def check_fixture(path, device):
    t, meta = read_safetensors(path)
    module_name = meta.get("module")
    filters = json.loads(meta["filter_sizes"]) or [None] * (len(json.loads(meta["layer_sizes"])) - 1)
    spec = Spec(json.loads(meta["layer_sizes"]), filters)
    L = len(spec)
    inputs = (tuple(t[f"input.weight.{i}"] for i in range(L)), tuple(t[f"input.bias.{i}"] for i in range(L)))
    inputs = tuple(tuple(x.double().to(device).requires_grad_(True) for x in part) for part in inputs)
    if module_name == "InvariantNFN":
        mod = invariant_model(spec, meta["mode"] + ("_IO" if meta.get("io_embed") == "true" else ""),
                              json.loads(meta["hchannels"]), int(meta["h_size"]))
    elif module_name == "NPLinear":
        mod = NPLinear(spec, int(meta["c_in"]), int(meta["c_out"]), meta.get("io_embed") == "true")
    elif module_name == "HNPLinear":
        mod = HNPLinear(spec, int(meta["c_in"]), int(meta["c_out"]))
    elif module_name == "HNPPool":
        mod = HNPPool()
    else:
        return None  # not a module this baseline has
    params = {k[len("param."):]: v for k, v in t.items() if k.startswith("param.")}
    mod.load_state_dict(params, strict=True)  # nfn's names and shapes, exactly
    mod = mod.double().to(device)
    errs = {}
    out = mod(inputs)
    if module_name == "InvariantNFN":
        # The training run: Adam steps from these parameters; the fixtures' grad_param.* are the
        # gradients of the last step (before its update), as dev.nfn4j.conformance.Conformance reads them.
        errs["output"] = rel_err(out.detach().cpu(), t["output"])
        target = t["target"].double().to(device)
        opt = torch.optim.Adam(mod.parameters(), lr=1e-3)
        losses = []
        for step in range(len(t["train.losses"])):
            opt.zero_grad(set_to_none=True)
            loss = F.binary_cross_entropy(mod(inputs).squeeze(-1), target)
            losses.append(float(loss))
            loss.backward()
            if step < len(t["train.losses"]) - 1:
                opt.step()
        errs["loss"] = rel_err(torch.tensor(losses[:1]), t["loss"].reshape(1))
        errs["train.losses"] = rel_err(torch.tensor(losses), t["train.losses"])
    elif module_name == "HNPPool":
        errs["output"] = rel_err(out.detach().cpu(), t["output"])
        (out * t["grad_output"].to(device)).sum().backward()
    else:
        loss = 0
        for part, name in ((0, "weight"), (1, "bias")):
            for i in range(L):
                errs[f"output.{name}.{i}"] = rel_err(out[part][i].detach().cpu(), t[f"output.{name}.{i}"])
                loss = loss + (out[part][i] * t[f"grad_output.{name}.{i}"].to(device)).sum()
        loss.backward()
    for k, p in mod.named_parameters():
        if f"grad_param.{k}" in t:
            errs[f"grad_param.{k}"] = rel_err(p.grad.cpu(), t[f"grad_param.{k}"])
    if module_name != "InvariantNFN":
        for part, name in ((0, "weight"), (1, "bias")):
            for i in range(L):
                if f"grad_input.{name}.{i}" in t:
                    errs[f"grad_input.{name}.{i}"] = rel_err(inputs[part][i].grad.cpu(), t[f"grad_input.{name}.{i}"])
    worst = max(errs.values())
    return dict(case=os.path.basename(path), module=module_name, worst_rel_err=worst, checks=len(errs), passed=worst < 1e-6)


def check_fixtures(folder, device):
    results = []
    for f in sorted(os.listdir(folder)):
        if f.endswith(".safetensors") or f.endswith(".safetensors.gz"):
            try:
                r = check_fixture(os.path.join(folder, f), device)
            except Exception as e:
                r = dict(case=f, passed=False, error=f"{type(e).__name__}: {e}")
            if r is not None:
                results.append(r)
    return results


# ---------------------------------------------------------------------------------------------

def blas_in_use():
    """The BLAS libraries this process has loaded (read from /proc/self/maps after importing torch).
    Debian's python3-torch calls the system libblas.so.3: netlib's reference BLAS (a path with
    /blas/) unless OpenBLAS is installed, and on it PyTorch's CPU matmuls run several times slower
    (BENCHMARKS.md, "Against PyTorch on OpenBLAS"); scripts/torch-blas.sh picks OpenBLAS."""
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f if "blas" in line.lower() and ".so" in line})
    except OSError:
        return "unknown (no /proc/self/maps)"
    return ", ".join(libs) or "none loaded"


def warn_if_reference_blas():
    """Says on stderr when PyTorch runs on netlib's reference BLAS, so a slow baseline is not mistaken for PyTorch at its best."""
    blas = blas_in_use()
    if "/blas/libblas" in blas:
        print(f"warning: PyTorch runs on netlib's reference BLAS ({blas}); its CPU matmuls are several times slower than on "
              "OpenBLAS (apt-get install libopenblas0-pthread, then run under scripts/torch-blas.sh)", file=sys.stderr)
    return blas


def device_facts(device):
    facts = dict(torch=torch.__version__, device=str(device), python=sys.version.split()[0])
    if device.type == "cuda":
        p = torch.cuda.get_device_properties(device)
        facts.update(name=p.name, capability=f"{p.major}.{p.minor}", sms=p.multi_processor_count,
                     memory_gib=round(p.total_memory / 2 ** 30, 1), cuda=torch.version.cuda,
                     l2_mib=round(getattr(p, "L2_cache_size", 0) / 2 ** 20, 1))
    else:
        facts.update(name="cpu", threads=torch.get_num_threads(), blas=warn_if_reference_blas(),
                     openblas_threads=os.environ.get("OPENBLAS_NUM_THREADS", "default"))
    return facts


def free(device):
    if device.type == "cuda":
        torch.cuda.empty_cache()


def write_json(path, obj):
    if path:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=2)
        os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda", help="cuda or cpu (default: cuda)")
    ap.add_argument("--out", help="JSON file to write")
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--only", help="comma-separated workload names (default: all); 'copy' for the copy bandwidth")
    ap.add_argument("--compile", default="all", help="'all', 'none' or comma-separated workload names to torch.compile")
    ap.add_argument("--compile-mode", default="default", help="torch.compile mode (default: default)")
    ap.add_argument("--copy-mib", type=int, default=2048, help="size of the copy-bandwidth tensor, 0 to skip")
    ap.add_argument("--budget-s", type=float, default=0, help="start no compile after this many seconds (0: no limit)")
    ap.add_argument("--max-s-per-workload", type=float, default=10,
                    help="fewer runs (at least 5 timed) where a workload's runs would take longer (default: 10 s)")
    ap.add_argument("--tf32", action="store_true", help="allow TF32 in convolutions and matmuls (default: strict float32, as nfn4j)")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    ap.add_argument("--check-fixtures", metavar="DIR", help="first check the modules against nfn's conformance fixtures in DIR")
    args = ap.parse_args(argv)
    t_start = time.time()
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    root = dict(tool="torch_baseline", date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), facts=device_facts(device),
                tf32=args.tf32, reps=args.reps, warmup=args.warmup, compile_mode=args.compile_mode,
                timer="CUDA events" if device.type == "cuda" else "wall clock", workloads=[])
    print(f"torch_baseline: {root['facts']}", flush=True)
    failed = 0
    if args.check_fixtures:
        root["fixtures"] = check_fixtures(args.check_fixtures, device)
        bad = [r for r in root["fixtures"] if not r["passed"]]
        failed += len(bad)
        print(f"  fixtures: {len(root['fixtures']) - len(bad)}/{len(root['fixtures'])} match nfn"
              + "".join(f"\n    MISMATCH {r['case']}: {r.get('error', r.get('worst_rel_err'))}" for r in bad), flush=True)
        write_json(args.out, root)
    only = set(args.only.split(",")) if args.only else None
    # The copy first: cheap, and the bandwidth target needs it even if a compile runs out the time.
    if args.copy_mib > 0 and (only is None or "copy" in only):
        try:
            root["copy"] = copy_bandwidth(args.copy_mib, 3, max(5, min(args.reps, 20)), device)
            print(f"  copy {args.copy_mib} MiB: {root['copy']['median_ms']:.3f} ms, {root['copy']['gbps']:.1f} GB/s", flush=True)
        except Exception as e:
            failed += 1
            root["copy"] = dict(error=f"{type(e).__name__}: {e}")
    selected = [w for w in WORKLOADS if only is None or w["name"] in only]
    results = {}
    for w in selected:  # eager first, every workload
        try:
            r = run_eager(w, args, device)
        except Exception as e:  # out of memory or a bug in one workload: record it, keep going
            failed += 1
            r = dict(name=w["name"], definition=w, error=f"{type(e).__name__}: {e}"[:3000],
                     traceback=traceback.format_exc()[-3000:])
        results[w["name"]] = r
        root["workloads"].append(r)
        free(device)
        write_json(args.out, root)
        print(f"  {w['name']:<26} " + (f"ERROR {r['error'][:200]}" if "error" in r else
                                       f"eager    {r['eager']['median_ms']:9.3f} ms"), flush=True)
    wanted = [w for w in selected if args.compile == "all" or w["name"] in args.compile.split(",")]
    wanted.sort(key=lambda w: COMPILE_FIRST.index(w["name"]) if w["name"] in COMPILE_FIRST else len(COMPILE_FIRST))
    for w in wanted:  # then torch.compile, the targets' workloads first, within the time budget
        r = results[w["name"]]
        elapsed = time.time() - t_start
        if "error" in r:
            continue
        if not hasattr(torch, "compile"):
            r["compile_skipped"] = f"torch {torch.__version__} has no torch.compile"
        elif args.budget_s and elapsed > args.budget_s:
            r["compile_skipped"] = f"time budget: {elapsed:.0f} s of {args.budget_s:.0f} s spent"
        else:
            run_compiled(w, args, device, r)
            free(device)
        write_json(args.out, root)
        c = r.get("compiled")
        print(f"  {w['name']:<26} " + (f"compiled {c['median_ms']:9.3f} ms (compile {r['compile_s']:.0f} s)" if c else
                                       f"compile: {r.get('compile_error', r.get('compile_skipped', ''))[:150]}"), flush=True)
    root["seconds"] = time.time() - t_start
    write_json(args.out, root)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
