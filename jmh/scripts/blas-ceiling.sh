#!/usr/bin/env bash
# The simd backend's GEMMs against native BLAS on the same calls (is a target within
# reach of tuned code on this machine?). For each workload and thread count, in alternating
# rounds: ProfileWorkload lists the workload's channel-mix calls with their shapes and times
# (simd backend); blas_replay runs the same calls on OpenBLAS and on BLIS; the table
# compares the GEMM time of the three. The BLAS libraries' 1536^3 sgemm is printed first: the
# rate hand-tuned assembly reaches here.
#
#   jmh/scripts/blas-ceiling.sh [WORKLOAD...]     default: np_mlp256_c32_fwd np_mlp256_c32_fwd_bwd hnp_siren_c128_fwd_bwd
#
# Environment: THREADS (default "1 2"), ROUNDS (3), REPS (10), OUT (default /tmp/blas-ceiling).
# Needs gcc and Debian's libopenblas-pthread-dev and/or libblis-pthread-dev (apt), which are
# not build dependencies of nfn4j; it says so when they are missing. Installing OpenBLAS also
# makes it the system libblas.so.3 (update-alternatives), which PyTorch's CPU matmuls then use.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
THREADS=${THREADS:-"1 2"} ROUNDS=${ROUNDS:-3} REPS=${REPS:-10} OUT=${OUT:-/tmp/blas-ceiling}
WORKLOADS=("$@")
[ ${#WORKLOADS[@]} -gt 0 ] || WORKLOADS=(np_mlp256_c32_fwd np_mlp256_c32_fwd_bwd hnp_siren_c128_fwd_bwd)
mkdir -p "$OUT"
. "$ROOT/scripts/find-java.sh"

# 1. The replay, built against each BLAS that is installed (Debian's multiarch paths).
ARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
LIBS=()
for lib in openblas blis; do
    dir=/usr/lib/$ARCH/$lib-pthread inc=/usr/include/$ARCH/$lib-pthread
    [ -e "$dir/lib$lib.so" ] && [ -e "$inc/cblas.h" ] || continue
    gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -o "$OUT/blas_replay_$lib" "$ROOT/jmh/scripts/blas_replay.c" \
        -I"$inc" -L"$dir" -l"$lib" -Wl,-rpath,"$dir" -lm
    LIBS+=("$lib")
done
[ ${#LIBS[@]} -gt 0 ] || { echo "blas-ceiling: no BLAS found; apt-get install gcc libopenblas-pthread-dev libblis-pthread-dev" >&2; exit 2; }

# 2. The benchmarks jar (ProfileWorkload).
JAR="$ROOT/jmh/target/benchmarks.jar"
if [ ! -e "$JAR" ]; then
    (cd "$ROOT" && { ./mvnw -q -o package -DskipTests -Dnfn4j.skipKernels=true || ./mvnw -q package -DskipTests -Dnfn4j.skipKernels=true; })
fi

# ProfileWorkload's per-shape GEMM rows -> blas_replay spec lines ("op B cin cout plane calls"),
# and the simd time of those rows (ms per run, summed) into a file.
to_spec() { # profile-file spec-file simd-ms-file
    awk -v spec="$2" -v ms="$3" '
        $1 ~ /^channelMix/ && $2 ~ /^[0-9]+x[0-9]+->[0-9]+@[0-9]+x[0-9]+$/ && $6 + 0 > 0 {
            split($2, s, /[x@>-]+/)   # B, cin, cout, rows, cols
            op = $1   # channelMix[+relu][+pools][(1)], channelMixInputGrad[+relu], channelMixBackward.dx/.da[(1)]
            if (op ~ /InputGrad|\.dx/) k = "dx"
            else if (op ~ /\.da/) k = "da"
            else k = "mix"
            if (op ~ /\(1\)/) k = k "1"
            printf "%s %d %d %d %d %d\n", k, s[1], s[2], s[3], s[4] * s[5], int($3 + 0.5) > spec
            t += $4
        }
        END { printf "%.3f\n", t > ms }' "$1"
}

JAVA=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp "$JAR")
for lib in "${LIBS[@]}"; do
    for t in $THREADS; do
        echo "== $lib, $t thread(s): $(OPENBLAS_NUM_THREADS=$t BLIS_NUM_THREADS=$t "$OUT/blas_replay_$lib" --peak "$REPS")"
    done
done

RESULTS="$OUT/results.tsv"
printf 'round\tworkload\tthreads\tsimd_gemm_ms\t%s\n' "$(printf '%s_ms\t' "${LIBS[@]}" | sed 's/\t$//')" > "$RESULTS"
for r in $(seq 1 "$ROUNDS"); do
    for w in "${WORKLOADS[@]}"; do
        for t in $THREADS; do
            prof="$OUT/profile-$w-$t-$r.txt" spec="$OUT/spec-$w.txt"
            "${JAVA[@]}" dev.nfn4j.jmh.ProfileWorkload "$w" simd "$t" "$REPS" shapes > "$prof" 2>&1
            to_spec "$prof" "$spec" "$OUT/simd-ms"
            row="$r\t$w\t$t\t$(cat "$OUT/simd-ms")"
            for lib in "${LIBS[@]}"; do
                OPENBLAS_NUM_THREADS=$t BLIS_NUM_THREADS=$t "$OUT/blas_replay_$lib" "$REPS" < "$spec" > "$OUT/replay-$w-$t-$r-$lib.txt"
                row="$row\t$(sed -n 's/^total .*: \([0-9.]*\) ms.*/\1/p' "$OUT/replay-$w-$t-$r-$lib.txt")"
            done
            printf "$row\n" | tee -a "$RESULTS"
        done
    done
done
echo "blas-ceiling: per-call tables in $OUT (profile-*, replay-*); summary in $RESULTS"
