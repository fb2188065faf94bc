#!/usr/bin/env bash
# The one-shot GPU check (native/README.md). The GPU machine has CUDA, nvcc and
# PyTorch but no Java, no Maven and no network, so it runs in two halves:
#
#   native/gpu-check.sh prepare    HERE: builds the jars (with the kernel fatbin), the test classes
#                                  and their dependencies, the JUnit console launcher, a jlinked
#                                  JDK 25 into .gpu-carry/ (ignored by git; the conformance
#                                  fixtures travel with the repository), checks what travels fits in 64 MiB, and
#                                  prints the device call to make.
#   native/gpu-check.sh device     THERE, from the repo root, $OUT set: the test suite with the
#                                  CUDA backend forced, GpuBench, the PyTorch baseline, the
#                                  copy bandwidth and the channel-mix lab (kernels/dev); JSON and
#                                  logs under $OUT; the table printed last.
#   native/gpu-check.sh selftest   HERE: prepare (fatbin optional), then the device half on the CPU
#                                  (simd backend, PyTorch on the CPU, small workloads).
#
# Environment: NFN4J_GPU_ALLOW_NO_FATBIN=1
# (prepare without kernels), and for the device half GPU_CHECK_STAGES (default
# tests,bench,torch,lab), GPU_CHECK_BUDGET_S (default 450: every stage ends within it),
# GPU_CHECK_DRYRUN=1 (no GPU: what selftest sets).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARRY_NAME=.gpu-carry
CARRY="$ROOT/$CARRY_NAME"
LIMIT_MIB=64          # what the device tool carries in all: the working tree plus carried paths
JVM_FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)  # as Surefire's argLine (root pom)

die() { echo "gpu-check: $*" >&2; exit 1; }
say() { echo "gpu-check: $*"; }

# ---------------------------------------------------------------------------------------------
# prepare (here)

# The JDK modules the suite, GpuBench and the console launcher need: jdeps on the CLI's shaded
# jar (library and dependencies, JCuda included), GpuBench, the test classes and the launcher,
# plus the fixed core.
jre_modules() {
    local deps
    deps=$("$JAVA_HOME/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps \
        --add-modules jdk.incubator.vector "$ROOT/java/cli/target/nfn4j-cli.jar" "$CARRY/nfn4j-jmh.jar" \
        "$CARRY/test-classes" "$CARRY/console.jar" 2>/dev/null | tail -n1)
    [[ "$deps" == java.base* ]] || die "jdeps could not list the modules (got: '$deps')"
    echo "$deps,java.base,java.logging,jdk.incubator.vector,jdk.unsupported" | tr ',' '\n' | sort -u | paste -sd, -
}

prepare() {
    local strict_fatbin=${1:-1}
    . "$ROOT/scripts/find-java.sh"
    cd "$ROOT" || exit 1
    say "JAVA_HOME=$JAVA_HOME"
    mkdir -p "$CARRY"
    rm -rf "$CARRY/lib" "$CARRY/test-classes"
    mkdir -p "$CARRY/lib"

    # 1. Build (the Maven build runs nvcc for the kernel fatbin where nvcc exists) and copy every
    #    runtime and test dependency in the same reactor, so nfn4j comes from this tree, never
    #    from a snapshot another checkout installed. Offline first: a warm ~/.m2 needs no network.
    local junit platform mvn_args
    junit=$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml | head -n1)
    [ -n "$junit" ] || die "no <junit.version> in pom.xml"
    # JUnit 5.x.y runs on Platform 1.x.y; from JUnit 6 on the versions are the same.
    if [[ "$junit" == 5.* ]]; then platform="1.${junit#5.}"; else platform="$junit"; fi
    # Left out, to stay well inside the size limit: xchart's vector (PDF, SVG, EPS) and GIF
    # encoders and their PDFBox (the library writes PNG only), JMH (GpuBench is a plain main), and
    # Jazzer (the file readers' fuzz targets are no GPU concern; their test classes stay behind too).
    mvn_args=(-B -q package -DskipTests
        org.apache.maven.plugins:maven-dependency-plugin:3.11.0:copy-dependencies
        -DincludeScope=test -DexcludeGroupIds=dev.nfn4j -DoutputDirectory="$CARRY/lib"
        -DexcludeArtifactIds=pdfbox,pdfbox-io,fontbox,graphics2d,VectorGraphics2D,commons-logging,animated-gif-lib,jmh-core,jopt-simple,jazzer,jazzer-junit,jazzer-api)
    say "building (./mvnw ${mvn_args[*]:0:4} ...)"
    ./mvnw -o "${mvn_args[@]}" || ./mvnw "${mvn_args[@]}" || die "the Maven build failed"
    local cons=(-B -q org.apache.maven.plugins:maven-dependency-plugin:3.11.0:copy
        -Dartifact="org.junit.platform:junit-platform-console-standalone:$platform"
        -DoutputDirectory="$CARRY" -Dmdep.stripVersion=true)
    ./mvnw -o -N "${cons[@]}" || ./mvnw -N "${cons[@]}" || die "could not fetch the JUnit console launcher $platform"
    mv -f "$CARRY/junit-platform-console-standalone.jar" "$CARRY/console.jar"
    # The launcher bundles the JUnit Platform and Jupiter: drop the duplicates.
    rm -f "$CARRY"/lib/junit-* "$CARRY"/lib/opentest4j-* "$CARRY"/lib/apiguardian-*
    local version jar m
    version=$(sed -n 's:^  <version>\(.*\)</version>.*:\1:p' pom.xml | head -n1)
    for m in core cuda cli; do
        jar="$ROOT/java/$m/target/nfn4j-$m-$version.jar"
        [ -f "$jar" ] || die "the build left no $jar"
        cp "$jar" "$CARRY/nfn4j-$m.jar"
    done
    jar="$CARRY/nfn4j-cuda.jar"
    cp "$ROOT/jmh/target/nfn4j-jmh-$version.jar" "$CARRY/nfn4j-jmh.jar" || die "no jmh jar"
    mkdir -p "$CARRY/test-classes"
    for m in core cuda cli; do cp -r "$ROOT/java/$m/target/test-classes/." "$CARRY/test-classes/"; done
    rm -rf "$CARRY/test-classes/dev/nfn4j/fuzz"

    # 2. The kernels must be inside the nfn4j-cuda jar (built by the Maven build when nvcc exists).
    local fatbin
    fatbin=$("$JAVA_HOME/bin/jar" tf "$jar" | grep -E '\.fatbin$' || true)
    if [ -z "$fatbin" ]; then
        if [ "$strict_fatbin" = 1 ] && [ "${NFN4J_GPU_ALLOW_NO_FATBIN:-0}" != 1 ]; then
            die "no *.fatbin inside $jar: the kernel build did not run (is nvcc on PATH? see native/README.md), so the CUDA backend cannot load there. NFN4J_GPU_ALLOW_NO_FATBIN=1 packs anyway."
        fi
        say "WARNING: no kernel fatbin in the nfn4j-cuda jar: the cuda backend will report itself unavailable"
    else
        say "kernels: $(echo "$fatbin" | paste -sd' ' -)"
        ls "$CARRY"/lib/jcuda-*.jar >/dev/null 2>&1 || die "kernels are built but no JCuda jar was copied into $CARRY/lib"
    fi
    # JCuda's natives jar (9.5 MB) is mostly the PTX compiler and runtime bindings; the backend
    # loads only the driver API's libJCudaDriver: keep that alone.
    local natives slim
    for natives in "$CARRY"/lib/jcuda-natives-*.jar; do
        [ -f "$natives" ] || continue
        slim=$(mktemp -d)
        (cd "$slim" && "$JAVA_HOME/bin/jar" xf "$natives" && find lib -type f ! -name 'libJCudaDriver-*' -delete \
            && ls lib/libJCudaDriver-* >/dev/null && "$JAVA_HOME/bin/jar" cf "$natives.slim" .) \
            && mv "$natives.slim" "$natives" || die "could not slim $natives (no libJCudaDriver in it?)"
        rm -rf "$slim"
    done

    # 3. The JDK: jlinked with the modules jdeps finds, modules stored uncompressed and the
    #    image xz-packed (about 22 MB; a zip-6 image unpacked is about 65 MB: too large to carry).
    local mods stamp
    mods=$(jre_modules) || exit 1
    stamp="$("$JAVA_HOME/bin/java" -version 2>&1 | head -n1) | $mods"
    if [ -f "$CARRY/jre.tar.xz" ] && [ "$(cat "$CARRY/jre.txt" 2>/dev/null)" = "$stamp" ]; then
        say "jre: up to date ($mods)"
    else
        say "jlink: $mods"
        local tmp
        tmp=$(mktemp -d)
        "$JAVA_HOME/bin/jlink" --add-modules "$mods" --strip-debug --no-man-pages --no-header-files \
            --compress zip-0 --output "$tmp/jre" 2> >(grep -v 'Using incubator modules' >&2) || die "jlink failed"
        XZ_OPT=-T0 tar -C "$tmp/jre" -cJf "$CARRY/jre.tar.xz.tmp" . && mv "$CARRY/jre.tar.xz.tmp" "$CARRY/jre.tar.xz" || die "packing the jre failed"
        rm -rf "$tmp"
        echo "$stamp" > "$CARRY/jre.txt"
    fi

    # 4. A font: xchart's PNG (TrainerTest, CliTest) needs fontconfig to find one, and the GPU
    #    image may have none; the device half adds this folder to fontconfig's.
    mkdir -p "$CARRY/fonts"
    local font
    font=$(ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf 2>/dev/null || fc-match -f '%{file}' sans 2>/dev/null || true)
    if [ -f "$font" ]; then cp "$font" "$CARRY/fonts/"; else say "WARNING: no font found to carry (plots there need the machine's own)"; fi

    # 5. What travels: tracked and untracked-not-ignored files, shared/ if the checkout has one, the carry.
    { git -C "$ROOT" rev-parse HEAD; git -C "$ROOT" status --short | head -n 20; date -u +%FT%TZ; } > "$CARRY/COMMIT.txt" 2>/dev/null
    local tree carry total
    tree=$(cd "$ROOT" && { git ls-files -z; git ls-files -z -o --exclude-standard; } | xargs -0 -r stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
    [ -d "$ROOT/shared" ] && tree=$((tree + $(du -sb "$ROOT/shared" | cut -f1)))
    carry=$(du -sb "$CARRY" | cut -f1)
    total=$((tree + carry))
    say "sizes: working tree $((tree / 1048576)) MiB + $CARRY_NAME $((carry / 1048576)) MiB = $((total / 1048576)) MiB of $LIMIT_MIB MiB"
    du -sh "$CARRY"/* | sed 's/^/    /'
    [ "$total" -lt $((LIMIT_MIB * 1048576)) ] || die "what travels is over $LIMIT_MIB MiB: the device call would be refused"
    [ "$total" -lt $(((LIMIT_MIB - 6) * 1048576)) ] || say "WARNING: within 6 MiB of the $LIMIT_MIB MiB limit"
}

print_call() {
    cat <<EOF

gpu-check: ready. Make this device call (the run tool) from this checkout:
    command:   bash native/gpu-check.sh device
    carry:     ["$CARRY_NAME"]
    timeout_s: 540
It runs about 7.5 minutes at most (GPU_CHECK_BUDGET_S=450) and brings back under \$OUT:
log.txt, tests.txt, tests.xml.gz, gpu_bench.json, torch_baseline.json, summary.json; the table is
printed last. A rerun of one part on the still-warm machine:
    command:   GPU_CHECK_STAGES=bench,torch bash native/gpu-check.sh device
EOF
}

# ---------------------------------------------------------------------------------------------
# device (there)

START=$(date +%s)  # reset when the device half starts
# Seconds a stage may take: its cap, or what is left of the budget less 20 s for the summary.
stage_timeout() {
    local cap=$1 left
    left=$((START + ${GPU_CHECK_BUDGET_S:-450} - $(date +%s) - 20))
    [ "$left" -lt "$cap" ] && cap=$left
    [ "$cap" -lt 5 ] && cap=5
    echo "$cap"
}

want() { [[ ",${GPU_CHECK_STAGES:-tests,bench,torch,lab}," == *",$1,"* ]]; }

# Unpacks a .tar.xz with tar, or with Python where there is no xz.
unpack() {
    mkdir -p "$2"
    tar -xJf "$1" -C "$2" 2>/dev/null || "$PY" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
}

device_main() {
    local dry=${GPU_CHECK_DRYRUN:-0} work rc_tests=skipped rc_bench=skipped rc_torch=skipped rc_lab=skipped
    cd "$ROOT" || exit 1
    [ -d "$CARRY" ] || die "no $CARRY_NAME here: run 'native/gpu-check.sh prepare' in this checkout and name it in carry"
    work=$(mktemp -d "${TMPDIR:-/tmp}/nfn4j-gpu.XXXXXX")
    # The Python with PyTorch: python3 there; here perhaps Debian's.
    PY=python3
    for p in python3 /usr/bin/python3; do
        if "$p" -c 'import torch' 2>/dev/null; then PY=$p; break; fi
    done

    say "== facts ($(date -u +%FT%TZ), dry run: $dry, stages: ${GPU_CHECK_STAGES:-tests,bench,torch,lab})"
    echo "host: $(uname -srm), $(nproc) CPUs, $(free -g 2>/dev/null | awk '/Mem:/ {print $2 " GiB"}'), commit $(head -n1 "$CARRY/COMMIT.txt" 2>/dev/null)"
    if [ "$dry" != 1 ]; then
        timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,temperature.gpu,power.draw,clocks.sm,clocks.mem --format=csv \
            || echo "nvidia-smi failed (rc $?)"
        timeout 10 nvidia-smi -q 2>/dev/null | grep -E 'CUDA Version|Persistence Mode|Compute Mode|MIG Mode' -A0 | head -n 8
        command -v nvcc >/dev/null && nvcc --version | tail -n 2
        echo "libcuda.so.1: $(ldconfig -p 2>/dev/null | grep -c 'libcuda.so.1') found; libfontconfig: $(ldconfig -p 2>/dev/null | grep -c 'libfontconfig.so.1') found (without it the PNG plots of TrainerTest and CliTest fail with 'Fontconfig head is null': not a GPU fault)"
    fi
    echo "python: $PY ($("$PY" -c 'import torch, sys; print(sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1 | tail -n1))"

    say "== unpacking the JDK"
    JAVA="$work/jre/bin/java"
    if unpack "$CARRY/jre.tar.xz" "$work/jre" && "$JAVA" -version > "$work/java-version" 2>&1; then
        head -n 2 "$work/java-version"
    else
        echo "    could not unpack or start the JDK: skipping the Java stages"
        rc_tests=no-jdk rc_bench=no-jdk
        GPU_CHECK_STAGES=torch
    fi
    local fx="$ROOT/java/core/src/test/conformance/nfn" lfx="$ROOT/java/core/src/test/conformance/nfn-layers" backend=cuda cp_test cp_bench
    [ "$dry" = 1 ] && backend=simd
    cp_test="$CARRY/test-classes:$CARRY/nfn4j-core.jar:$CARRY/nfn4j-cuda.jar:$CARRY/nfn4j-cli.jar:$CARRY/lib/*:$CARRY/console.jar"
    cp_bench="$CARRY/nfn4j-jmh.jar:$CARRY/nfn4j-core.jar:$CARRY/nfn4j-cuda.jar:$CARRY/lib/*"

    if want tests; then
        local t
        t=$(stage_timeout "${GPU_CHECK_TESTS_S:-200}")
        say "== tests: the whole suite, backend $backend forced and required (timeout ${t}s; every line in tests.txt)"
        # As Surefire runs it (java/core/pom.xml, root pom argLine and systemPropertyVariables), from the
        # module folder, with the SIMD backend required too. Not CI=true: the machine has no
        # Fashion-MNIST (30 MB, not carried), so its tests report themselves skipped with the reason.
        # fontconfig: the machine's own configuration plus the carried font.
        printf '<?xml version="1.0"?>\n<fontconfig><include ignore_missing="yes">/etc/fonts/fonts.conf</include><dir>%s</dir><cachedir>%s</cachedir></fontconfig>\n' \
            "$CARRY/fonts" "$work/fc-cache" > "$work/fonts.conf"
        ( cd "$ROOT/java/core" && export FONTCONFIG_FILE="$work/fonts.conf" && timeout -k 10 "$t" "$JAVA" "${JVM_FLAGS[@]}" -Xmx4g -Djava.awt.headless=true \
            -Dnfn4j.backend=$backend -Dnfn4j.requireBackend=$backend,simd -Dnfn4j.conformanceDir="$fx" -Dnfn4j.conformanceLayersDir="$lfx" \
            -cp "$cp_test" org.junit.platform.console.ConsoleLauncher execute \
            --scan-classpath "$CARRY/test-classes" --reports-dir "$work/reports" \
            --disable-banner --details=tree --details-theme=ascii ) > "$OUT/tests.txt" 2>&1
        rc_tests=$?
        grep -E '^\[ +[0-9]+ (tests|containers) ' "$OUT/tests.txt" | sed 's/^/    /'
        grep -E 'MethodSource|JUnitException|Exception:|Error:' "$OUT/tests.txt" | grep -v '^\s*at ' | head -n 15 | cut -c1-240 | sed 's/^/    /'
        [ "$rc_tests" = 124 ] && echo "    tests: TIMED OUT after ${t}s"
        if [ -f "$work/reports/TEST-junit-jupiter.xml" ]; then
            gzip -c "$work/reports/TEST-junit-jupiter.xml" > "$OUT/tests.xml.gz"
        else
            echo "    no JUnit XML report (the summary counts tests.txt instead)"
        fi
        say "tests: rc $rc_tests"
    fi

    if want bench; then
        local t only=() reps=(--reps 50 --warmup 10)
        t=$(stage_timeout "${GPU_CHECK_BENCH_S:-100}")
        if [ "$dry" = 1 ]; then
            only=(--only zoo_np_train_step,hnp_siren_c128_fwd_bwd,copy --copy-mib 64)
            reps=(--reps 2 --warmup 1)
        fi
        say "== GpuBench: the named workloads on $backend, graph-captured and eager (timeout ${t}s)"
        timeout -k 10 "$t" "$JAVA" "${JVM_FLAGS[@]}" -Xmx16g -cp "$cp_bench" dev.nfn4j.jmh.GpuBench \
            --backend "$backend" --out "$OUT/gpu_bench.json" "${reps[@]}" "${only[@]}" --budget-s $((t - 30)) \
            --tf32-also hnp_siren_c128_fwd_bwd 2>&1 \
            | grep -v 'Using incubator modules'
        rc_bench=${PIPESTATUS[0]}
        say "GpuBench: rc $rc_bench"
    fi

    if want torch; then
        local t dev=cuda extra=()
        t=$(stage_timeout "${GPU_CHECK_TORCH_S:-160}")
        if [ "$dry" = 1 ]; then
            dev=cpu
            extra=(--only zoo_np_train_step,hnp_siren_c128_fwd_bwd,copy --reps 2 --warmup 1 --copy-mib 64)
        fi
        say "== PyTorch baseline on $dev: fixture check, copy bandwidth, eager, torch.compile (timeout ${t}s)"
        PYTHONUNBUFFERED=1 timeout -k 10 "$t" "$PY" "$ROOT/native/torch_baseline.py" --device $dev \
            --out "$OUT/torch_baseline.json" --check-fixtures "$fx" --budget-s $((t * 2 / 3)) "${extra[@]}" 2>&1 \
            | grep -vE 'UserWarning|warnings.warn'
        rc_torch=${PIPESTATUS[0]}
        say "torch baseline: rc $rc_torch"
    fi

    if want lab; then
        # The channel-mix lab (kernels/dev): each version validated against a CPU reference, then timed.
        local t
        t=$(stage_timeout "${GPU_CHECK_LAB_S:-90}")
        if [ "$dry" = 1 ]; then
            rc_lab=skipped-dry-run
        elif ! command -v nvcc >/dev/null; then
            rc_lab=no-nvcc
        else
            say "== channel-mix lab (kernels/dev/channel_mix_lab.cu; timeout ${t}s)"
            if nvcc -std=c++17 -O3 -arch=native -I "$ROOT/kernels" -o "$work/mix_lab" "$ROOT/kernels/dev/channel_mix_lab.cu" >"$OUT/lab.txt" 2>&1; then
                timeout -k 5 "$t" "$work/mix_lab" 20 2>&1 | tee -a "$OUT/lab.txt"
                rc_lab=${PIPESTATUS[0]}
            else
                rc_lab=compile-failed
                cat "$OUT/lab.txt"
            fi
        fi
        say "lab: rc $rc_lab"
    fi

    say "== summary"
    "$PY" "$ROOT/native/gpu_summary.py" --bench "$OUT/gpu_bench.json" --torch "$OUT/torch_baseline.json" \
        --tests-xml "$OUT/tests.xml.gz" --tests-txt "$OUT/tests.txt" --stage "tests=$rc_tests" --stage "bench=$rc_bench" --stage "torch=$rc_torch" \
        --stage "lab=$rc_lab" \
        --facts "seconds=$(($(date +%s) - START))" --facts "dry_run=$dry" --out "$OUT/summary.json"
    rm -rf "$work"
}

device() {
    if [ -z "${OUT:-}" ]; then
        OUT="$ROOT/gpu-check-out"
        echo "gpu-check: OUT not set; writing to $OUT"
    fi
    mkdir -p "$OUT"
    export OUT
    START=$(date +%s)
    # Everything goes to log.txt as it is printed, so a run killed at its limit still brings it back.
    device_main 2>&1 | tee -a "$OUT/log.txt"
    return "${PIPESTATUS[0]}"
}

case "${1:-}" in
    prepare)
        prepare 1 && print_call ;;
    device)
        device ;;
    selftest)
        prepare 0 || exit 1
        OUT="${OUT:-$(mktemp -d /tmp/gpu-check-selftest.XXXXXX)}"
        rm -f "$OUT"/*.json "$OUT"/*.txt "$OUT"/*.gz
        say "selftest: the device half on the CPU, into $OUT"
        GPU_CHECK_DRYRUN=1 GPU_CHECK_BUDGET_S="${GPU_CHECK_BUDGET_S:-1500}" GPU_CHECK_TESTS_S="${GPU_CHECK_TESTS_S:-900}" \
            GPU_CHECK_BENCH_S="${GPU_CHECK_BENCH_S:-300}" GPU_CHECK_TORCH_S="${GPU_CHECK_TORCH_S:-300}" OUT="$OUT" device
        ls -la "$OUT" ;;
    *)
        sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
        exit 2 ;;
esac
