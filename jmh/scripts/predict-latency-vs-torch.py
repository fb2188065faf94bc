#!/usr/bin/python3
"""Single-network prediction latency: nfn4j's `Predictor.predict` (JMH `PredictorBench`) against
the same model's forward in PyTorch, alternating, on the same threads.

The model is the paper's predictor (HNP 16/16/5, HNP pooling, head 1000-1000-1) over one
Small-CNN-Zoo-shaped network. The PyTorch side is `native/torch_baseline.py`'s `invariant_model`
in eval mode under `torch.no_grad()`: after 300 warm-up calls, every call of `--seconds` is timed.
nfn4j's time also holds what PyTorch's does not: the input's checks and normalization, the upload
and the download. Run under scripts/torch-blas.sh so PyTorch uses OpenBLAS (it prints its BLAS).

    bash -c '. scripts/torch-blas.sh; /usr/bin/python3 jmh/scripts/predict-latency-vs-torch.py [--rounds 2] [--threads 2]'

Needs Debian's python3-torch (1.13) and the benchmarks jar (./mvnw package -pl jmh -am -DskipTests).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "native"))
import torch_baseline as tb  # noqa: E402


def quantiles(ms):
    s = sorted(ms)
    return dict(p50=tb.quantile(s, 0.5), p99=tb.quantile(s, 0.99), mean=sum(s) / len(s), n=len(s))


def torch_latency(threads, seconds):
    torch.set_num_threads(threads)
    spec = tb.Spec(tb.ZOO_SIZES, tb.ZOO_FILTERS)
    model = tb.invariant_model(spec, "HNP", [16, 16, 5], 1000).eval()
    gen = torch.Generator()
    gen.manual_seed(2)
    x = tb.random_ws(spec, 1, 1, -0.5, 0.5, torch.device("cpu"), gen)
    ms = []
    with torch.no_grad():
        for _ in range(300):
            model(x)
        end = time.time() + seconds
        while time.time() < end:
            t0 = time.perf_counter()
            model(x)
            ms.append((time.perf_counter() - t0) * 1e3)
    return quantiles(ms)


def nfn4j_latency(threads, forks):
    jar = os.path.join(HERE, "..", "target", "benchmarks.jar")
    java = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "java")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "jmh.json")
        subprocess.run([java, "--add-modules", "jdk.incubator.vector", f"-Dnfn4j.threads={threads}", "-jar", jar, "PredictorBench",
                        "-f", str(forks), "-rf", "json", "-rff", out], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r = json.load(open(out))[0]["primaryMetric"]
    p = r["scorePercentiles"]
    return dict(p50=p["50.0"] / 1e3, p99=p["99.0"] / 1e3, mean=r["score"] / 1e3, n=sum(c for fork in r["rawDataHistogram"] for it in fork for _, c in it))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=20, help="PyTorch's timed calls per round")
    ap.add_argument("--forks", type=int, default=2, help="JMH forks per round")
    a = ap.parse_args()
    print(f"PyTorch {torch.__version__} on {tb.warn_if_reference_blas()}; {a.threads} threads")
    fmt = "{:<8} p50 {p50:6.3f} ms  p99 {p99:6.3f} ms  mean {mean:6.3f} ms  ({n} calls)"
    for r in range(a.rounds):
        j, t = nfn4j_latency(a.threads, a.forks), torch_latency(a.threads, a.seconds)
        print(f"round {r + 1}")
        print("  " + fmt.format("nfn4j", **j))
        print("  " + fmt.format("PyTorch", **t))
        print(f"  PyTorch / nfn4j: p50 {t['p50'] / j['p50']:.2f}x, p99 {t['p99'] / j['p99']:.2f}x")


if __name__ == "__main__":
    main()
