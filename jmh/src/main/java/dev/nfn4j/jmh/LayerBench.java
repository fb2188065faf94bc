package dev.nfn4j.jmh;

import dev.nfn4j.space.Value;
import dev.nfn4j.ops.Backends;
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

    /** Worker threads of the simd backend (0: -Dnfn4j.threads, else all processors). */
    @Param("0")
    public int threads;

    private Workloads.LayerCase layer;

    @Setup(Level.Trial)
    public void setup() {
        layer = new Workloads.LayerCase(Backends.byName(backend, threads), mode, Workloads.parseSpec(sizes, filters), cin, cout, batch);
    }

    @Benchmark
    public Value forward() {
        return layer.forward();
    }

    /** Forward, then backward of sum(out^2). */
    @Benchmark
    public Value forwardBackward() {
        return layer.forwardBackward();
    }
}
