package dev.nfn4j.jmh;

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

    private Workloads.TrainCase step;

    @Setup(Level.Trial)
    public void setup() {
        step = new Workloads.TrainCase(Backends.byName(backend, threads), mode, Workloads.parseSpec(sizes, filters),
                Workloads.ints(hidden), head, batch);
    }

    /** The trainer's step: the loss on the host between forward and backward. */
    @Benchmark
    public double trainStep() {
        return step.hostLossStep();
    }
}
