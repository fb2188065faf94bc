#!/usr/bin/env bash
# Builds the GPU kernels: every kernels/*.cu, compiled as one translation unit by nvcc into ONE
# fatbin (sm_80 and sm_90 cubins plus compute_90 PTX for newer GPUs), warnings as errors.
#
#   native/build-kernels.sh [CLASSES_DIR [REPORT_DIR]]
#
# Writes CLASSES_DIR/dev/nfn4j/ops/cuda/nfn4j.fatbin (a classpath resource, loaded with
# cuModuleLoadData by the cuda backend) and kernels.txt beside it (the kernel names in the
# fatbin, one per line, from ptxas's report, after a "# nvcc X.Y" line), and REPORT_DIR/ptxas.txt (registers, shared
# memory, stack frames and spills of every kernel). A kernel with a stack frame or spills fails
# the build: that is local memory in a hot loop, a bug to fix. Run by Maven (generate-resources
# of the java/cuda module); skipped with one line when nvcc is not found (NVCC or PATH), and when the
# fatbin is newer than every kernel source and this script.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
classes="${1:-$root/java/cuda/target/classes}"
report="${2:-$root/java/cuda/target/kernels}"
out="$classes/dev/nfn4j/ops/cuda"
fatbin="$out/nfn4j.fatbin"

nvcc="${NVCC:-$(command -v nvcc || true)}"
if [[ -z "$nvcc" || ! -x "$nvcc" ]]; then
    echo "nvcc not found: building without GPU kernels; the cuda backend will report them missing"
    exit 0
fi

shopt -s nullglob
sources=("$root"/kernels/*.cu)
headers=("$root"/kernels/*.cuh)
labs=("$root"/kernels/dev/*.cu)
if [[ ${#sources[@]} -eq 0 ]]; then
    echo "build-kernels: no kernels/*.cu found under $root" >&2
    exit 1
fi

if [[ -f "$fatbin" && -f "$out/kernels.txt" && -f "$report/ptxas.txt" ]]; then
    stale=0
    for f in "${sources[@]}" "${headers[@]}" "${labs[@]}" "${BASH_SOURCE[0]}"; do
        [[ "$f" -nt "$fatbin" ]] && stale=1
    done
    if [[ $stale -eq 0 ]]; then
        echo "build-kernels: $fatbin is up to date"
        exit 0
    fi
fi

mkdir -p "$out" "$report"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One translation unit: every family file once, in name order (common.cuh is #pragma once).
unity="$work/nfn4j_kernels.cu"
for f in "${sources[@]}"; do echo "#include \"$f\""; done > "$unity"

echo "build-kernels: $("$nvcc" --version | tail -1)"
echo "build-kernels: compiling ${#sources[@]} files into $fatbin"
set +e
"$nvcc" -fatbin -std=c++17 -O3 -lineinfo \
    -gencode arch=compute_80,code=sm_80 \
    -gencode arch=compute_90,code=sm_90 \
    -gencode arch=compute_90,code=compute_90 \
    -Werror all-warnings \
    -Xptxas -v,-warn-spills,-warn-lmem-usage,-Werror \
    -I "$root/kernels" -o "$work/nfn4j.fatbin" "$unity" > "$work/ptxas.txt" 2>&1
rc=$?
set -e
cat "$work/ptxas.txt"
cp "$work/ptxas.txt" "$report/ptxas.txt"
if [[ $rc -ne 0 ]]; then
    echo "build-kernels: nvcc failed (exit $rc); report in $report/ptxas.txt" >&2
    exit $rc
fi

# A stack frame or spills in any kernel fails the build (ptxas -warn-spills only covers spills).
bad="$(grep -E '[1-9][0-9]* bytes (stack frame|spill stores|spill loads)' "$work/ptxas.txt" || true)"
if [[ -n "$bad" ]]; then
    echo "build-kernels: local memory in a kernel (see the entry above each line):" >&2
    echo "$bad" >&2
    exit 1
fi

# The manifest: every entry function ptxas compiled (the same set for each architecture).
{
    echo "# $("$nvcc" --version | grep -o 'release [0-9.]*' | sed 's/release/nvcc/')"
    grep -oE "Compiling entry function '[A-Za-z_][A-Za-z0-9_]*'" "$work/ptxas.txt" | sed -E "s/.*'(.*)'/\1/" | sort -u
} > "$work/kernels.txt"
if ! grep -qv '^#' "$work/kernels.txt"; then
    echo "build-kernels: no entry functions in ptxas's report; cannot write kernels.txt" >&2
    exit 1
fi

# The lab (kernels/dev/*.cu: programs that include the production sources) must keep compiling
# as those change; compiled only, never packaged.
for lab in "${labs[@]}"; do
    if ! "$nvcc" -c -std=c++17 -O3 -arch=sm_90 -Werror all-warnings -I "$root/kernels" -o "$work/lab.o" "$lab" > "$work/lab.txt" 2>&1; then
        cat "$work/lab.txt" >&2
        echo "build-kernels: the lab $lab no longer compiles against the kernels" >&2
        exit 1
    fi
done
[[ ${#labs[@]} -gt 0 ]] && echo "build-kernels: ${#labs[@]} lab file(s) in kernels/dev compile"

mv -f "$work/nfn4j.fatbin" "$fatbin"
mv -f "$work/kernels.txt" "$out/kernels.txt"
echo "build-kernels: $(grep -cv '^#' "$out/kernels.txt") kernels, $(stat -c %s "$fatbin") bytes; report in $report/ptxas.txt"
