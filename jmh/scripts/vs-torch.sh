#!/usr/bin/env bash
# The named workloads on a CPU backend against the PyTorch re-statement of nfn, in alternating
# rounds on the same host, so drift in the host's speed hits both alike. Per round: GpuBench on
# the backend, then native/torch_baseline.py (eager, as nfn runs; the order flips every round);
# prints each workload's medians per round and PyTorch / nfn4j.
#
#   jmh/scripts/vs-torch.sh [WORKLOAD,...]
#       WORKLOAD   names from Workloads.NAMED (default: the two zoo training steps, the SIREN
#                  layer and the two np_mlp256 workloads)
#
# Environment: ROUNDS (default 3), THREADS (2), REPS (20), WARMUP (10), BACKEND (simd),
# JAR (jmh/target/benchmarks.jar, built when missing), PYTHON (/usr/bin/python3: Debian's
# python3-torch), OUT (/tmp/nfn4j-vs-torch: the JSON of every run), TORCH_BLAS_DIR (PyTorch's
# BLAS: OpenBLAS when installed, see scripts/torch-blas.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
case "${1:-}" in -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
WORKLOADS=${1:-zoo_hnp_train_step,zoo_np_train_step,hnp_siren_c128_fwd_bwd,np_mlp256_c32_fwd,np_mlp256_c32_fwd_bwd}
ROUNDS=${ROUNDS:-3} THREADS=${THREADS:-2} REPS=${REPS:-20} WARMUP=${WARMUP:-10} BACKEND=${BACKEND:-simd}
JAR=${JAR:-$ROOT/jmh/target/benchmarks.jar} PYTHON=${PYTHON:-/usr/bin/python3} OUT=${OUT:-/tmp/nfn4j-vs-torch}
mkdir -p "$OUT"
. "$ROOT/scripts/find-java.sh"
. "$ROOT/scripts/torch-blas.sh"
"$PYTHON" -c 'import torch' 2>/dev/null || { echo "vs-torch: $PYTHON has no torch (apt-get install python3-torch)" >&2; exit 2; }
[ -f "$JAR" ] || (cd "$ROOT" && ./mvnw -q package -DskipTests -Dnfn4j.skipKernels=true >&2)

nfn4j() { # round
    "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -Dnfn4j.threads="$THREADS" -cp "$JAR" dev.nfn4j.jmh.GpuBench \
        --backend "$BACKEND" --only "$WORKLOADS" --copy-mib 0 --no-eager --reps "$REPS" --warmup "$WARMUP" \
        --out "$OUT/nfn4j-$1.json" >/dev/null 2>"$OUT/nfn4j-$1.log"
}
torch() { # round
    "$PYTHON" "$ROOT/native/torch_baseline.py" --device cpu --threads "$THREADS" --compile none --copy-mib 0 \
        --only "$WORKLOADS" --reps "$REPS" --warmup "$WARMUP" --out "$OUT/torch-$1.json" >/dev/null
}

echo "vs-torch: $BACKEND against PyTorch, $THREADS threads, $REPS runs after $WARMUP, $ROUNDS rounds; $(uptime | sed 's/.*load/load/')"
echo "vs-torch: PyTorch's BLAS: $TORCH_BLAS"
for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then nfn4j "$r"; torch "$r"; else torch "$r"; nfn4j "$r"; fi
    echo "round $r done; $(uptime | sed 's/.*load/load/')"
done
"$PYTHON" - "$OUT" "$ROUNDS" "$WORKLOADS" <<'EOF'
import json, statistics, sys
out, rounds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
print(f"{'workload':<26} {'nfn4j ms per round':<28} {'PyTorch ms per round':<28} PyTorch / nfn4j")
for name in names:
    ours, theirs = [], []
    for r in range(1, rounds + 1):
        ours += [w["graph"]["median_ms"] for w in json.load(open(f"{out}/nfn4j-{r}.json"))["workloads"] if w["name"] == name]
        theirs += [w["eager"]["median_ms"] for w in json.load(open(f"{out}/torch-{r}.json"))["workloads"] if w["name"] == name]
    ratios = [b / a for a, b in zip(ours, theirs)]
    fmt = lambda xs: " / ".join(f"{x:.1f}" for x in xs)
    print(f"{name:<26} {fmt(ours):<28} {fmt(theirs):<28} {fmt(ratios)} (median {statistics.median(ratios):.2f}x)")
EOF
