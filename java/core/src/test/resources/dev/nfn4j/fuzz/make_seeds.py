#!/usr/bin/env python3
"""Writes the fuzz seed corpus next to this script: small valid files of each reader's format and
the hostile files that once broke a reader, in <Test>Inputs/read/ where Jazzer looks for them.
Run with python3 (needs numpy); the output is deterministic. Inputs the fuzzer found are kept as
it saved them, renamed, and are not written here (NpyFuzzTestInputs/read/repro_header_full_of_nul_bytes.npy)."""
import gzip, io, json, os, struct, zipfile, zlib
import numpy as np

ROOT = os.path.dirname(os.path.abspath(__file__))
SEP = b"\0=====\0"


def out(test, name, data):
    d = os.path.join(ROOT, test + "Inputs", "read")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def npy(a, version=None):
    b = io.BytesIO()
    if version is None:
        np.save(b, a)
    else:
        np.lib.format.write_array(b, a, version=version)
    return b.getvalue()


def npy_header(dict_text, data=b"", major=1):
    """A .npy file with a hand-written header dict (padded as numpy pads)."""
    text = dict_text.encode("latin-1" if major < 3 else "utf-8")
    prefix = 10 if major == 1 else 12
    total = (prefix + len(text) + 1 + 63) // 64 * 64
    text = text + b" " * (total - prefix - len(text) - 1) + b"\n"
    length = struct.pack("<H", len(text)) if major == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([major, 0]) + length + text + data


def gz(data):
    return gzip.compress(data, mtime=0)


# ---- .npy ----
rng = np.random.default_rng(0)
out("NpyFuzzTest", "valid_f4_2x3.npy", npy(rng.standard_normal((2, 3)).astype("<f4")))
out("NpyFuzzTest", "valid_big_endian_f8_5.npy", npy(rng.standard_normal(5).astype(">f8")))
out("NpyFuzzTest", "valid_scalar.npy", npy(np.float32(1.5)))
out("NpyFuzzTest", "valid_empty_0x4.npy", npy(np.zeros((0, 4), "<f4")))
out("NpyFuzzTest", "valid_v2_3x2.npy", npy(np.arange(6, dtype="<f4").reshape(3, 2), version=(2, 0)))
out("NpyFuzzTest", "valid_v3_2.npy", npy(np.arange(2, dtype="<f8"), version=(3, 0)))
deep = "(" * 20000 + ")" * 20000
out("NpyFuzzTest", "repro_deep_parens.npy", npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': " + deep + ", }", major=2))
out("NpyFuzzTest", "repro_claims_1e9_floats.npy", npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }", b"\0" * 16))
out("NpyFuzzTest", "repro_rank_5002.npy", npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1, " * 5002 + "), }", b"\0" * 4))
out("NpyFuzzTest", "repro_truncated.npy", npy(rng.standard_normal((4, 4)).astype("<f4"))[:-7])


# ---- .npz ----
def savez(compressed, **arrays):
    b = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(b, **arrays)
    return b.getvalue()


def zip64_claim(member_npy, claimed_size):
    """A one-member deflated zip whose central directory declares claimed_size through a zip64 extra field."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = comp.compress(member_npy) + comp.flush()
    name = b"x.npy"
    crc = zlib.crc32(member_npy)
    extra = struct.pack("<HHQQ", 1, 16, claimed_size, len(data))
    local = struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, 0, 8, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra)) + name + extra
    cen = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45, 0, 8, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra), 0, 0, 0, 0, 0) + name + extra
    cen_at = len(local) + len(data)
    eocd = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 1, 1, len(cen), cen_at, 0)
    return local + data + cen + eocd


out("NpzFuzzTest", "valid_savez.npz", savez(False, a=np.arange(6, dtype="<f4").reshape(2, 3), b=np.array(2.5, "<f8")))
out("NpzFuzzTest", "valid_savez_compressed.npz", savez(True, w=np.ones((3, 2), "<f4"), v=np.zeros(0, "<f8")))
claim = npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2100000000,), }")
repro = zip64_claim(claim, len(claim) + 4 * 2100000000)
out("NpzFuzzTest", "repro_zip64_claims_2.1e9_floats.npz", repro)
claim1e9 = npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }")
out("NpzFuzzTest", "repro_zip64_claims_1e9_floats.npz", zip64_claim(claim1e9, len(claim1e9) + 4 * 1000000000))
good = savez(False, a=np.arange(4, dtype="<f4"))
cen = good.rindex(b"PK\x01\x02")
bad = bytearray(good)
bad[cen + 16] ^= 0xFF  # the central directory's CRC-32
out("NpzFuzzTest", "repro_corrupt_central_crc.npz", bytes(bad))
out("NpzFuzzTest", "repro_truncated.npz", good[:-30])


# ---- safetensors ----
def safetensors(tensors, metadata=None, header_override=None):
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    h = header_override if header_override is not None else json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(h)) + h + data


out("SafetensorsFuzzTest", "valid_every_dtype.safetensors", safetensors({
    "f32": ("F32", [2, 3], np.arange(6, dtype="<f4").tobytes()),
    "f64": ("F64", [2], np.array([1.5, -2], "<f8").tobytes()),
    "f16": ("F16", [3], np.array([0.5, 1, -2], "<f2").tobytes()),
    "bf16": ("BF16", [2], struct.pack("<HH", 0x3F80, 0xC000)),
    "i32": ("I32", [2], np.array([7, -1], "<i4").tobytes()),
    "i64": ("I64", [1], np.array([1 << 40], "<i8").tobytes()),
    "scalar": ("F32", [], np.array([3], "<f4").tobytes()),
    "empty": ("F32", [2, 0, 3], b""),
}, {"format": "pt", "note": "seed"}))
out("SafetensorsFuzzTest", "valid_state_dict.safetensors", safetensors({
    "0.weight": ("F32", [3, 2], np.arange(6, dtype="<f4").tobytes()),
    "0.bias": ("F32", [3], np.zeros(3, "<f4").tobytes()),
}))
out("SafetensorsFuzzTest", "repro_rank_5002.safetensors", safetensors({"w": ("F32", [1] * 5002, b"\0" * 4)}))
out("SafetensorsFuzzTest", "repro_deep_json.safetensors", safetensors({}, header_override=b'{"w":' + b"[" * 20000 + b"]" * 20000 + b"}"))
out("SafetensorsFuzzTest", "repro_claims_1e9_floats.safetensors", safetensors({}, header_override=json.dumps(
    {"w": {"dtype": "F32", "shape": [1000000000], "data_offsets": [0, 4000000000]}}).encode()) + b"\0" * 16)
out("SafetensorsFuzzTest", "repro_truncated.safetensors", safetensors({"w": ("F64", [4], np.ones(4, "<f8").tobytes())})[:-5])


# ---- IDX ----
def idx(magic, dims, data):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


images = idx(0x803, [3, 2, 2], range(12))
labels = idx(0x801, [3], [0, 9, 4])
out("IdxFuzzTest", "valid_raw", images + SEP + labels)
out("IdxFuzzTest", "valid_gzip", gz(images) + SEP + gz(labels))
out("IdxFuzzTest", "repro_claims_2e9_pixels_raw", idx(0x803, [2000000000, 1, 1], b"\0" * 8) + SEP + labels)
out("IdxFuzzTest", "repro_claims_2e9_pixels_gzip", gz(idx(0x803, [2000000000, 1, 1], b"\0" * 8)) + SEP + gz(labels))
out("IdxFuzzTest", "repro_truncated", images[:-3] + SEP + labels)


# ---- Small CNN Zoo folder ----
rows = 6
weights = npy(rng.standard_normal((rows, 3)).astype("<f4"))
layout = (b",varname,start_idx,end_idx,shape\n"
          b"0,sequential/dense/kernel:0,0,2,\"(2, 1)\"\n"
          b"1,sequential/dense/bias:0,2,3,\"(1,)\"\n")
metrics = b",step,test_accuracy,test_loss,modeldir\n" + b"".join(
    b"%d,86,0.%d,1.5,run%d\n" % (i, i + 1, i) for i in range(rows))
out("ZooFolderFuzzTest", "valid_zoo", weights + SEP + layout + SEP + metrics)
out("ZooFolderFuzzTest", "valid_zoo_gzip_metrics", weights + SEP + layout + SEP + gz(metrics))
out("ZooFolderFuzzTest", "repro_zero_columns", npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 0), }") + SEP + layout + SEP + metrics)
out("ZooFolderFuzzTest", "repro_layout_huge_shape", weights + SEP + layout.replace(b"(2, 1)", b"(2147483647, 2147483647)") + SEP + metrics)
out("ZooFolderFuzzTest", "repro_metrics_row_count", weights + SEP + layout + SEP + metrics + b"6,86,0.5,1.0,run6\n")


# ---- AnyReaderFuzzTest: every seed above (and the fuzzer's finds), behind its selector byte ----
TARGETS = ["NpyFuzzTest", "NpzFuzzTest", "SafetensorsFuzzTest", "IdxFuzzTest", "ZooFolderFuzzTest"]
for selector, test in enumerate(TARGETS):
    d = os.path.join(ROOT, test + "Inputs", "read")
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            out("AnyReaderFuzzTest", test + "-" + name, bytes([selector]) + f.read())
