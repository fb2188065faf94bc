# Sourced by the scripts that time PyTorch: runs it on the fastest BLAS installed, so the
# baseline is PyTorch at its best on this machine. Debian's python3-torch calls libblas.so.3,
# which is netlib's reference BLAS unless OpenBLAS is installed (apt-get install
# libopenblas0-pthread); on the reference BLAS PyTorch's matmuls make the zoo steps 1.6-2x
# slower (BENCHMARKS.md, "Against PyTorch"). OpenBLAS runs one thread per call: PyTorch's own
# threads already share the cores, and a second pool of spinning threads beside them makes the
# steps bimodal (median 2x slower on two cores).
#
# Exports LD_LIBRARY_PATH and OPENBLAS_NUM_THREADS, and sets TORCH_BLAS to what was chosen.
# TORCH_BLAS_DIR=system keeps the system libblas.so.3; another folder holding a libblas.so.3
# is taken as given.
nfn4j_torch_blas() {
    local arch dir
    arch=$(gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")
    dir=${TORCH_BLAS_DIR:-/usr/lib/$arch/openblas-pthread}
    if [ "$dir" != system ] && [ -e "$dir/libblas.so.3" ]; then
        export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
        TORCH_BLAS="the libblas.so.3 in $dir, OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS"
    else
        TORCH_BLAS="the system libblas.so.3 ($(readlink -f "/usr/lib/$arch/libblas.so.3" 2>/dev/null || echo unknown))"
        [ "$dir" = system ] || echo "warning: no OpenBLAS in $dir; PyTorch runs on $TORCH_BLAS, which on Debian is netlib's reference BLAS unless OpenBLAS is installed (apt-get install libopenblas0-pthread)" >&2
    fi
}
nfn4j_torch_blas
