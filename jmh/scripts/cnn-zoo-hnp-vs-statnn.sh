#!/usr/bin/env bash
# Issue 6's comparison, end to end: builds the 2,000-network CNN zoo on Fashion-MNIST (if the folder
# has none yet), trains the plain HNP-NFN and StatNN on it for each seed, and prints both test
# Kendall's taus per seed, their means and the paired t statistic (BENCHMARKS.md records a run).
#
#   jmh/scripts/cnn-zoo-hnp-vs-statnn.sh [ZOO_DIR] [SEEDS]     defaults: /tmp/nfn4j-cnnzoo140, "0 1 2"
#
# Environment: STEPS (checkpoints, default 35,70,105,140; the last is the one predicted, the others
# are extra training pairs), EPOCHS (10), LANES (runs at a time, one thread each; default: cores),
# OUT (where the runs go; default ZOO_DIR-runs), NETWORKS (2000; fewer for a quick smoke run:
# NETWORKS=60 STEPS=5,10 EPOCHS=1 takes half a minute), NORMALIZE (input normalization of both models;
# default per-tensor, the setting of the recorded runs; none is what nfn's HNP and StatNN configs do).
# A run whose log holds a test result is not redone.
# About 18 minutes for the zoo and 4 minutes per HNP-NFN run on one core of a 2-core EPYC.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ZOO=${1:-/tmp/nfn4j-cnnzoo140}
SEEDS=${2:-"0 1 2"}
STEPS=${STEPS:-35,70,105,140}
EPOCHS=${EPOCHS:-10}
NETWORKS=${NETWORKS:-2000}
NORMALIZE=${NORMALIZE:-per-tensor}
LANES=${LANES:-$(nproc)}
FINAL=${STEPS##*,}
EARLIER=${STEPS%,*}
[ "$EARLIER" = "$STEPS" ] && EARLIER=""
OUT=${OUT:-$ZOO-runs}

if [ ! -f "$ZOO/metrics.csv.gz" ]; then
    echo "building the zoo in $ZOO (checkpoints $STEPS)..." >&2
    "$ROOT/nfn4j" zoo build-cnn --out "$ZOO" --networks "$NETWORKS" --threads "$(nproc)" --steps "$STEPS"
fi
mkdir -p "$OUT"

# One run: MODEL SEED. Skips a run whose log already holds a test result (the script can be re-run).
run() {
    local model=$1 seed=$2 dir="$OUT/$1-s$2"
    grep -q '"test"' "$dir/log.jsonl" 2>/dev/null && return 0
    NFN4J_JAVA_OPTS="-Dnfn4j.threads=1" "$ROOT/nfn4j" train --zoo "$ZOO" --step "$FINAL" ${EARLIER:+--train-steps "$EARLIER"} \
        --model "$model" --normalize "$NORMALIZE" --epochs "$EPOCHS" --batch 16 --head 256,256 --seed "$seed" --out "$dir" > "$dir.log" 2>&1
}
export -f run
export ROOT ZOO OUT FINAL EARLIER EPOCHS NORMALIZE

"$ROOT/nfn4j" --version > /dev/null # builds the jar once, before the runs start
# One queue, LANES runs at a time: the slow HNP-NFN runs first, so no lane ends up with all of them.
{ for s in $SEEDS; do echo "hnp $s"; done; for s in $SEEDS; do echo "statnn $s"; done; } | xargs -L1 -P "$LANES" bash -c 'run "$0" "$1"' \
    || { echo "a run failed: see the logs in $OUT" >&2; exit 1; }

tau() { sed -n 's/.*"test":{[^}]*"tau":\([-0-9.eE]*\).*/\1/p' "$OUT/$1-s$2/log.jsonl" | tail -n1; } # the last test line
for s in $SEEDS; do echo "$s $(tau hnp "$s") $(tau statnn "$s")"; done | awk '
    BEGIN { printf "%-6s %-8s %-8s %s\n", "seed", "HNP-NFN", "StatNN", "difference" }
    { n++; h += $2; t += $3; d = $2 - $3; sd += d; sdd += d * d; printf "%-6s %-8.4f %-8.4f %+.4f\n", $1, $2, $3, d }
    END {
        if (n == 0) exit 1
        m = sd / n
        printf "%-6s %-8.4f %-8.4f %+.4f\n", "mean", h / n, t / n, m
        if (n > 1) { s = sqrt((sdd - n * m * m) / (n - 1)); if (s > 0) printf "paired t = %.2f over %d seeds\n", m / (s / sqrt(n)), n }
    }'
