package dev.nfn4j.io;

/**
 * One validated header entry: where a tensor's bytes lie, relative to the data section.
 * Built only by {@link HeaderParser}, so numel fits a Java array and
 * {@code end - begin == numel * dtype.byteSize()}.
 */
record TensorEntry(String name, DType dtype, int[] shape, int numel, long begin, long end) {
}
