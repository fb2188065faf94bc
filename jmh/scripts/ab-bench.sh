#!/usr/bin/env bash
# A/B timing of two builds on a noisy host: one change against its base, in
# alternating rounds, so drift in the host's speed hits both alike. Builds each revision's
# benchmarks jar once (in a git worktree under $OUT, kept by commit), then per round runs
# GpuBench on A, then on B (the order flips every round), and prints each workload's medians per
# round, B / A, and in how many rounds B was faster.
#
#   jmh/scripts/ab-bench.sh A B [WORKLOAD,...]
#       A, B       git revisions (a branch, a commit, HEAD~1) or WORKTREE for the files as they are now
#       WORKLOAD   GpuBench names (default: np_mlp256_c32_fwd,np_mlp256_c32_fwd_bwd,hnp_siren_c128_fwd_bwd)
#
# Environment: ROUNDS (default 3), THREADS (2), REPS (20), WARMUP (10), OUT (/tmp/nfn4j-ab).
# Timings swing 20-40% here between minutes; trust a difference that holds in most rounds.
#
# PAIRS=N instead times run against run inside one JVM (StepAB: both jars loaded side by side,
# N alternating pairs per workload), once per round in a fresh JVM: each JVM lays out its
# buffers differently, and a build against itself reads 0.97-1.06 in one JVM, so compare the
# rounds' medians. Resolves changes of a few percent where separate-JVM rounds cannot. About
# one JVM in four runs its second-built side 4-6x slower throughout; StepAB flags it
# (STALLED SIDE), and that round is discarded.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[ $# -ge 2 ] || { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
A=$1 B=$2 WORKLOADS=${3:-np_mlp256_c32_fwd,np_mlp256_c32_fwd_bwd,hnp_siren_c128_fwd_bwd}
ROUNDS=${ROUNDS:-3} THREADS=${THREADS:-2} REPS=${REPS:-20} WARMUP=${WARMUP:-10} OUT=${OUT:-/tmp/nfn4j-ab}
mkdir -p "$OUT"
. "$ROOT/scripts/find-java.sh"

# The benchmarks jar of a revision: $OUT/<commit>.jar (WORKTREE: built from the files as they are).
jar_of() {
    local rev=$1 sha dir
    if [ "$rev" = WORKTREE ]; then
        (cd "$ROOT" && ./mvnw -q -o package -DskipTests -Dnfn4j.skipKernels=true >&2 \
            || ./mvnw -q package -DskipTests -Dnfn4j.skipKernels=true >&2)
        cp "$ROOT/jmh/target/benchmarks.jar" "$OUT/worktree.jar"
        echo "$OUT/worktree.jar"
        return
    fi
    sha=$(git -C "$ROOT" rev-parse --verify "$rev^{commit}") || { echo "ab-bench: no revision '$rev'" >&2; exit 2; }
    if [ ! -e "$OUT/$sha.jar" ]; then
        dir="$OUT/tree-$sha"
        [ -d "$dir" ] || git -C "$ROOT" worktree add -f --detach "$dir" "$sha" >&2
        (cd "$dir" && { ./mvnw -q -o package -DskipTests -Dnfn4j.skipKernels=true >&2 \
            || ./mvnw -q package -DskipTests -Dnfn4j.skipKernels=true >&2; })
        cp "$dir/jmh/target/benchmarks.jar" "$OUT/$sha.jar"
        git -C "$ROOT" worktree remove --force "$dir" >&2
    fi
    echo "$OUT/$sha.jar"
}

JAR_A=$(jar_of "$A")
JAR_B=$(jar_of "$B")
echo "ab-bench: A = $A ($JAR_A), B = $B ($JAR_B); $ROUNDS rounds, $THREADS threads, GpuBench --reps $REPS --warmup $WARMUP"

if [ -n "${PAIRS:-}" ]; then
    echo "ab-bench: StepAB, $PAIRS pairs per workload and round (the B/A column is the round's median pair ratio)"
    runner=$JAR_B # the harness comes from whichever jar has it (each side runs its own classes)
    "$JAVA_HOME/bin/jar" tf "$runner" | grep -q 'dev/nfn4j/jmh/StepAB.class' || runner=$JAR_A
    for r in $(seq 1 "$ROUNDS"); do
        "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp "$runner" dev.nfn4j.jmh.StepAB "$JAR_A" "$JAR_B" \
            "$WORKLOADS" "$THREADS" "$PAIRS" 2>/dev/null | sed "s/^/round $r: /"
    done
    exit 0
fi

run() { # jar -> lines "workload median_ms"
    "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp "$1" dev.nfn4j.jmh.GpuBench --backend simd \
        --threads "$THREADS" --copy-mib 0 --no-eager --reps "$REPS" --warmup "$WARMUP" --only "$WORKLOADS" 2>/dev/null |
        awk '$2 == "graph" && $4 == "ms" { print $1, $3 }'
}

RESULTS="$OUT/results.txt"
: > "$RESULTS"
for r in $(seq 1 "$ROUNDS"); do
    order="A B"
    [ $((r % 2)) -eq 0 ] && order="B A"
    for side in $order; do
        jar=$JAR_A
        [ "$side" = B ] && jar=$JAR_B
        run "$jar" | while read -r w ms; do echo "$r $side $w $ms"; done >> "$RESULTS"
    done
done

# One row per workload: A and B per round, B / A per round, rounds B won.
awk -v rounds="$ROUNDS" '
    { t[$3, $1, $2] = $4; w[$3] = 1 }
    END {
        printf "%-26s %-30s %-30s %-24s %s\n", "workload", "A (ms, per round)", "B (ms, per round)", "B / A", "B faster"
        for (k in w) {
            a = ""; b = ""; q = ""; won = 0
            for (r = 1; r <= rounds; r++) {
                a = a sprintf("%.1f ", t[k, r, "A"]); b = b sprintf("%.1f ", t[k, r, "B"])
                q = q sprintf("%.2f ", t[k, r, "B"] / t[k, r, "A"])
                if (t[k, r, "B"] < t[k, r, "A"]) won++
            }
            printf "%-26s %-30s %-30s %-24s %d of %d\n", k, a, b, q, won, rounds
        }
    }' "$RESULTS"
