package dev.nfn4j.jmh;

import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
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
 * Adam over the parameters of a training workload's model ({@code zoo_hnp_train_step}'s by default:
 * the model's flat buffer after one training step, so the gradients are real) against floors for
 * the bytes it must move, 28 per parameter (it reads param, grad, m and v and writes param, m and
 * v), taken on the same threads in the same 64K-float chunks as the simd backend's pass:
 * {@code streamFloor}, a pass with exactly Adam's traffic over four arrays of the same length
 * (three additions per element, nothing else), and {@code copyFloor}, {@code System.arraycopy}
 * of 3.5 floats per parameter (read and written: 28 bytes).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class AdamBench {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int CHUNK = 1 << 16;

    /** A training workload of {@link Workloads#NAMED} whose model's parameters Adam updates. */
    @Param("zoo_hnp_train_step")
    public String workload;

    /** Threads of the simd backend and of the floors. */
    @Param("2")
    public int threads;

    private Workloads.TrainCase train;
    private Parallel par;
    private int n;
    private float[] p, g, m, v, src, dst;

    @Setup(Level.Trial)
    public void setup() {
        Workloads.Named w = Workloads.named(workload);
        train = new Workloads.TrainCase(Backends.byName("simd", threads), w.mode(), w.spec(), Workloads.ints(w.hidden()), w.head(),
                w.batch());
        train.hostLossStep();
        n = Math.toIntExact(train.params.count());
        System.out.println("# " + workload + ": " + n + " parameters, " + 28L * n + " bytes per Adam step");
        par = new Parallel(threads);
        p = filled(n, 1f);
        g = filled(n, 1e-3f);
        m = filled(n, 0f);
        v = filled(n, 0f);
        src = filled(n * 7 / 2, 2f);
        dst = new float[src.length];
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, value);
        return a;
    }

    /** One Adam step of the simd backend over the model's parameters. */
    @Benchmark
    public void adamStep() {
        train.adam.step();
    }

    /** Adam's traffic: read p, g, m, v and write p, m, v. */
    @Benchmark
    public float[] streamFloor() {
        par.forEach(chunks(n), n, t -> {
            int i = t * CHUNK, hi = Math.min(n, i + CHUNK);
            for (; i + S.length() <= hi; i += S.length()) {
                FloatVector gi = FloatVector.fromArray(S, g, i);
                FloatVector.fromArray(S, p, i).add(gi).intoArray(p, i);
                FloatVector.fromArray(S, m, i).add(gi).intoArray(m, i);
                FloatVector.fromArray(S, v, i).add(gi).intoArray(v, i);
            }
            for (; i < hi; i++) {
                p[i] += g[i];
                m[i] += g[i];
                v[i] += g[i];
            }
        });
        return p;
    }

    /** The same bytes copied: 3.5 floats per parameter read and written. */
    @Benchmark
    public float[] copyFloor() {
        int len = src.length;
        par.forEach(chunks(len), len, t -> System.arraycopy(src, t * CHUNK, dst, t * CHUNK, Math.min(CHUNK, len - t * CHUNK)));
        return dst;
    }

    private static int chunks(int len) {
        return (len + CHUNK - 1) / CHUNK;
    }
}
