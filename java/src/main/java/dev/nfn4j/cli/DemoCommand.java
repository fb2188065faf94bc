package dev.nfn4j.cli;

import dev.nfn4j.nn.Init;
import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.Params;
import dev.nfn4j.nn.Sequential;
import dev.nfn4j.nn.Tensor;
import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Permutation;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.train.Loss;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Random;
import java.util.concurrent.Callable;

/**
 * The placeholder main job until the training demo lands: the paper's invariant NFN on a random
 * batch of Small-CNN-Zoo-shaped weights, forward and backward, and an invariance check.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the paper's invariant NFN (HNP 16/16/5, HNP pooling, MLP head) on random Small-CNN-Zoo-shaped weights: "
                + "forward, backward, and a check that a random hidden-neuron permutation leaves the prediction unchanged.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--batch", defaultValue = "8", description = "Networks per batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--head", defaultValue = "1000", description = "Hidden width of the MLP head (paper: ${DEFAULT-VALUE}).")
    int head;

    @Option(names = "--seed", defaultValue = "0", description = "Seed for weights and data (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        if (batch < 1 || head < 1) throw new IllegalArgumentException("--batch and --head must be >= 1");
        Ops ops = Backends.get();
        // Small CNN Zoo: three 3x3 conv layers of 16 filters on 1-channel images, then dense 16 -> 10.
        NetworkSpec spec = new NetworkSpec(new int[]{1, 16, 16, 16, 10}, new int[][]{{3, 3}, {3, 3}, {3, 3}, null});
        Params params = new Params(ops);
        Sequential model = InvariantNfn.build(params, spec, InvariantNfn.Mode.HNP, false, 1, new int[]{16, 16, 5}, Act.RELU, true, head,
                Init.Type.PYTORCH_DEFAULT);
        params.allocate(seed);
        System.out.printf("backend    %s (%s)%nnetworks   %s, batch %d%nmodel      %s%nparameters %,d%n", ops.name(), Backends.reason(), spec,
                batch, model, params.count());

        Random rnd = new Random(seed);
        WsLayout lay = new WsLayout(spec, batch, 1);
        float[] w = new float[Math.toIntExact(lay.size())];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.3);
        HostWeights x = new HostWeights(lay, w);
        float[] target = new float[batch];
        for (int i = 0; i < batch; i++) target[i] = rnd.nextFloat();

        long t0 = System.nanoTime();
        float[] pred = predict(ops, model, x);
        long t1 = System.nanoTime();
        float[] grad = new float[batch];
        double loss = Loss.BINARY_CROSS_ENTROPY.compute(pred, target, grad);
        Ptr g = ops.alloc(batch).at(0);
        ops.upload(grad, 0, g, batch);
        params.zeroGrad();
        model.backward(new Tensor(new int[]{batch, 1}, g));
        long t2 = System.nanoTime();
        float[] permuted = predict(ops, model, Permutation.randomHidden(spec, rnd).apply(x));
        double maxDiff = 0;
        for (int i = 0; i < batch; i++) maxDiff = Math.max(maxDiff, Math.abs(pred[i] - permuted[i]));

        System.out.printf("forward    %.1f ms%nbackward   %.1f ms%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        System.out.printf("predicted  %s%nBCE loss   %.6f (random targets)%n", java.util.Arrays.toString(pred), loss);
        boolean ok = maxDiff < 1e-5;
        System.out.printf("invariance max |f(Px) - f(x)| = %.2e under a random hidden-neuron permutation: %s%n", maxDiff, ok ? "OK" : "BROKEN");
        return ok ? 0 : 1;
    }

    private static float[] predict(Ops ops, Sequential model, HostWeights x) {
        Ptr p = ops.alloc(x.layout().size()).at(0);
        ops.upload(x.data(), 0, p, x.data().length);
        Tensor out = (Tensor) model.forward(new WeightSpace(x.layout(), p));
        float[] pred = new float[x.layout().batch()];
        ops.download(out.data(), pred, 0, pred.length);
        return pred;
    }
}
