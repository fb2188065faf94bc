/**
 * nfn4j's library: weight spaces, the NF-Layers and nfn's other layers, the reference and simd
 * backends, checkpoints, training and prediction. The cuda backend comes from the
 * {@code dev.nfn4j.cuda} jar, found as a {@link dev.nfn4j.ops.BackendProvider}.
 */
module dev.nfn4j.core {
    // Optional: without it on the module graph (--add-modules jdk.incubator.vector), the simd backend is unavailable.
    requires static jdk.incubator.vector;
    requires com.fasterxml.jackson.databind;
    requires commons.math3;
    requires org.apache.commons.csv;

    exports dev.nfn4j.conformance;
    exports dev.nfn4j.io;
    exports dev.nfn4j.nn;
    exports dev.nfn4j.ops;
    exports dev.nfn4j.space;
    exports dev.nfn4j.train;
    exports dev.nfn4j.zoo;
    // The backends' own packages are internal; the cuda backend borrows the reference one.
    exports dev.nfn4j.ops.reference to dev.nfn4j.cuda;

    // Jackson writes run settings (records of this package) into checkpoint metadata.
    opens dev.nfn4j.train to com.fasterxml.jackson.databind;

    uses dev.nfn4j.ops.BackendProvider;
}
