package dev.nfn4j.jmh;

import dev.nfn4j.nn.GraphLayers;
import dev.nfn4j.nn.Init;
import dev.nfn4j.nn.Layer;
import dev.nfn4j.nn.Params;
import dev.nfn4j.nn.Value;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;
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
 * One NF-Layer of any shape, forward or forward+backward of sum(out^2), on any backend: every
 * shape a user cares about can be timed with {@code -p}. The defaults are the named workload
 * {@code np_mlp256_c32_fwd} (NPLinear 32->32 on an MLP 256-256-256-10, batch 8); see the README
 * for the run lines of the others.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow", "-Xmx8g"})
public class LayerBench {
    /** NP, NP_IO (NPLinear with io_embed), HNP or POINTWISE. */
    @Param("NP")
    public String mode;

    /** n_in, n_0, ..., n_out ('_' also separates, for the command line). */
    @Param("256,256,256,10")
    public String sizes;

    /** Per layer "HxW" or "-" for dense, comma separated; empty means all dense. */
    @Param("")
    public String filters;

    @Param("32")
    public int cin;

    @Param("32")
    public int cout;

    @Param("8")
    public int batch;

    @Param("reference")
    public String backend;

    private Layer layer;
    private WeightSpace x;
    /** Worker threads of the simd backend (0: -Dnfn4j.threads, else all processors). */
    @Param("0")
    public int threads;

    private Ops ops;
    private Ptr grad;

    @Setup(Level.Trial)
    public void setup() {
        ops = Backends.byName(backend, threads);
        NetworkSpec spec = parseSpec(sizes, filters);
        Params params = new Params(ops);
        layer = GraphLayers.create(mode, params, spec, cin, cout, Init.Type.PYTORCH_DEFAULT);
        params.allocate(1);
        WsLayout lay = new WsLayout(spec, batch, cin);
        float[] data = new float[Math.toIntExact(lay.size())];
        SplittableRandom rnd = new SplittableRandom(2);
        for (int i = 0; i < data.length; i++) data[i] = (float) (rnd.nextDouble() * 2 - 1);
        Ptr p = ops.alloc(lay.size()).at(0);
        ops.upload(data, 0, p, data.length);
        x = new WeightSpace(lay, p);
    }

    /**
     * "n_in,...,n_out" and per-layer "HxW" or "-" (empty: all dense). On the JMH command line use
     * '_' instead of ',' ({@code -p sizes=2_32_32_1}): JMH splits -p values at commas.
     */
    static NetworkSpec parseSpec(String sizes, String filters) {
        int[] n = Arrays.stream(sizes.split("[,_]")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
        int[][] f = new int[n.length - 1][];
        if (!filters.isBlank()) {
            String[] parts = filters.split("[,_]");
            for (int i = 0; i < parts.length; i++)
                if (!parts[i].trim().equals("-"))
                    f[i] = Arrays.stream(parts[i].trim().split("x")).mapToInt(Integer::parseInt).toArray();
        }
        return new NetworkSpec(n, f);
    }

    @Benchmark
    public Value forward() {
        return layer.forward(x);
    }

    /** Forward, then backward of sum(out^2) (whose gradient is 2 out). */
    @Benchmark
    public Value forwardBackward() {
        Value y = layer.forward(x);
        if (grad == null) grad = ops.alloc(y.size()).at(0);
        // d sum(out^2) / d out = 2 out; the factor 2 does not change the work, so out itself is the cotangent.
        ops.copy4d(new int[]{1, 1, 1, Math.toIntExact(y.size())}, y.data(), new long[]{0, 0, 0, 1}, grad, new long[]{0, 0, 0, 1}, false);
        return layer.backward(new WeightSpace(((WeightSpace) y).layout(), grad));
    }
}
