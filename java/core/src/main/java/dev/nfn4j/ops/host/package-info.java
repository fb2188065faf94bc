/**
 * What the host backends share: heap buffers ({@link dev.nfn4j.ops.host.HostBuf}) and the scalar
 * loops of the ops that the reference backend runs as they are and the simd backend splits over
 * threads (slices of independent planes, groups or elements, so their results are the same bits).
 */
package dev.nfn4j.ops.host;
