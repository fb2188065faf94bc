package dev.nfn4j.jmh;

import dev.nfn4j.nn.Init;
import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.Params;
import dev.nfn4j.nn.Sequential;
import dev.nfn4j.nn.Tensor;
import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.train.Adam;
import dev.nfn4j.train.Loss;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One full training step (forward, BCE, backward, Adam) of the paper's invariant NFN: the
 * workloads {@code zoo_hnp_train_step} (mode HNP) and {@code zoo_np_train_step} (mode NP_IO),
 * on Small-CNN-Zoo-shaped weights by default; sizes, filters, channels, head and batch are
 * parameters like in {@link LayerBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow", "-Xmx8g"})
public class ModelBench {
    /** HNP, NP, NP_IO or POINTWISE. */
    @Param("HNP")
    public String mode;

    @Param("1,16,16,16,10")
    public String sizes;

    @Param("3x3,3x3,3x3,-")
    public String filters;

    @Param("16,16,5")
    public String hidden;

    @Param("1000")
    public int head;

    @Param("8")
    public int batch;

    @Param("simd")
    public String backend;

    /** Worker threads of the simd backend (0: -Dnfn4j.threads, else all processors). */
    @Param("0")
    public int threads;

    private Ops ops;
    private Sequential model;
    private Params params;
    private Adam adam;
    private WeightSpace x;
    private float[] target, pred, grad;
    private Ptr gradPtr;

    @Setup(Level.Trial)
    public void setup() {
        ops = Backends.byName(backend, threads);
        NetworkSpec spec = LayerBench.parseSpec(sizes, filters);
        params = new Params(ops);
        String m = mode.trim().toUpperCase();
        InvariantNfn.Mode nm = m.startsWith("NP") ? InvariantNfn.Mode.NP : InvariantNfn.Mode.valueOf(m);
        model = InvariantNfn.build(params, spec, nm, m.equals("NP_IO"), 1,
                Arrays.stream(hidden.split("[,_]")).mapToInt(s -> Integer.parseInt(s.trim())).toArray(), Act.RELU, true, head,
                Init.Type.PYTORCH_DEFAULT);
        params.allocate(1);
        adam = new Adam(params, AdamConfig.adam(1e-3));
        WsLayout lay = new WsLayout(spec, batch, 1);
        float[] data = new float[Math.toIntExact(lay.size())];
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < data.length; i++) data[i] = (float) (rnd.nextDouble() - 0.5);
        Ptr p = ops.alloc(lay.size()).at(0);
        ops.upload(data, 0, p, data.length);
        x = new WeightSpace(lay, p);
        target = new float[batch];
        for (int i = 0; i < batch; i++) target[i] = (float) rnd.nextDouble();
        pred = new float[batch];
        grad = new float[batch];
        gradPtr = ops.alloc(batch).at(0);
    }

    @Benchmark
    public double trainStep() {
        params.zeroGrad();
        Tensor out = (Tensor) model.forward(x);
        ops.download(out.data(), pred, 0, batch);
        double loss = Loss.BINARY_CROSS_ENTROPY.compute(pred, target, grad);
        ops.upload(grad, 0, gradPtr, batch);
        model.backward(new Tensor(out.shape(), gradPtr));
        adam.step();
        return loss;
    }
}
