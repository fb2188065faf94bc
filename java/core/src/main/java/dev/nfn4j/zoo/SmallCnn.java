package dev.nfn4j.zoo;

import java.util.Arrays;

/**
 * The CNN of the Small CNN Zoo: three 3x3 convolutions of 16 filters with stride 2 and TensorFlow's
 * same padding, global average pooling, and a dense layer to the classes.
 */
public final class SmallCnn {
    /** Filters per convolution, kernel side, stride, and the number of convolutions. */
    public static final int FILTERS = 16, KERNEL = 3, STRIDE = 2, CONV_LAYERS = 3;

    private SmallCnn() {}

    /**
     * The tensors as layout.csv lists them: TensorFlow variable name and shape, in parameter order
     * (Keras' default names, as in the Small CNN Zoo).
     */
    public static java.util.List<TfLayout.Tensor> tensors(int inChannels, int classes) {
        java.util.List<TfLayout.Tensor> out = new java.util.ArrayList<>();
        int start = 0, in = inChannels;
        for (int l = 0; l <= CONV_LAYERS; l++) {
            boolean dense = l == CONV_LAYERS;
            String scope = "sequential/" + (dense ? "dense" : l == 0 ? "conv2d" : "conv2d_" + l) + "/";
            int[] kernel = dense ? new int[]{FILTERS, classes} : new int[]{KERNEL, KERNEL, in, FILTERS};
            int outs = kernel[kernel.length - 1], size = Arrays.stream(kernel).reduce(1, (x, z) -> x * z);
            out.add(new TfLayout.Tensor(scope + "kernel:0", out.size(), start, start + size, kernel));
            start += size;
            out.add(new TfLayout.Tensor(scope + "bias:0", out.size(), start, start + outs, new int[]{outs}));
            start += outs;
            in = FILTERS;
        }
        return out;
    }
}
