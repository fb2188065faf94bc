#!/usr/bin/env bash
# Fuzzes the file readers with Jazzer, one target per JVM, each for FUZZ_RUNS inputs (default
# 1,000,000) or FUZZ_TIME (default 2h), whichever comes first:
#   scripts/fuzz.sh                          # every target in turn
#   FUZZ_RUNS=5000000 scripts/fuzz.sh NpzFuzzTest
# A finding stops the run; its input is saved under java/core/src/test/resources/dev/nfn4j/fuzz/
# (then it is a regression test of ./mvnw verify). libFuzzer's last lines ("Done N runs in S
# second(s)") go to java/core/target/fuzz-<target>.log. See RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-java.sh
runs=${FUZZ_RUNS:-1000000}
time=${FUZZ_TIME:-2h}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(NpyFuzzTest NpzFuzzTest SafetensorsFuzzTest IdxFuzzTest ZooFolderFuzzTest)
./mvnw -B -q -pl java/core test-compile -Dnfn4j.skipKernels=true
for t in "${targets[@]}"; do
  echo "fuzz: $t, $runs inputs or $time"
  JAZZER_FUZZ=1 ./mvnw -B -pl java/core surefire:test@fuzz-regression -Dnfn4j.skipKernels=true -Dtest="$t" \
      -Djazzer.max_executions="$runs" -Djazzer.max_duration="$time" 2>&1 | tee "java/core/target/fuzz-$t.log" \
    | grep -E "^Done [0-9]+ runs|Tests run:|FuzzTestFinding|BUILD"
done
