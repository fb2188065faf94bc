package dev.nfn4j.jmh;

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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The machine's floors, measured the way the workloads' floors are quoted: STREAM-like copy
 * bandwidth (each thread copies its own 128 MiB array: bytes = 2 x 128 MiB per op, read + write)
 * and peak FMA throughput (twelve independent vector FMA chains per thread, no memory traffic:
 * flops = 2 x lanes x 12 x iterations per op). Run with {@code -t 1} and {@code -t 2}. Ten chains
 * sit exactly at latency x pipes of an AMD Zen core and measure 64 GFLOP/s per core there,
 * below what the channel-mix GEMM itself reaches (70-80).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
public class MachineBench {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    public static final int FMA_ITERATIONS = 10_000_000;

    @Param("33554432") // 32 Mi floats = 128 MiB
    public int floats;

    private float[] src, dst;

    @Setup(Level.Trial)
    public void setup() {
        src = new float[floats];
        dst = new float[floats];
        for (int i = 0; i < floats; i++) src[i] = i;
    }

    @Benchmark
    public float[] copy() {
        System.arraycopy(src, 0, dst, 0, floats);
        return dst;
    }

    @Benchmark
    public float fmaPeak() {
        FloatVector a = FloatVector.broadcast(S, 1.0001f), b = FloatVector.broadcast(S, -0.0001f);
        FloatVector s0 = a, s1 = a, s2 = a, s3 = a, s4 = a, s5 = a, s6 = a, s7 = a, s8 = a, s9 = a, s10 = a, s11 = a;
        for (int i = 0; i < FMA_ITERATIONS; i++) {
            s0 = s0.fma(a, b);
            s1 = s1.fma(a, b);
            s2 = s2.fma(a, b);
            s3 = s3.fma(a, b);
            s4 = s4.fma(a, b);
            s5 = s5.fma(a, b);
            s6 = s6.fma(a, b);
            s7 = s7.fma(a, b);
            s8 = s8.fma(a, b);
            s9 = s9.fma(a, b);
            s10 = s10.fma(a, b);
            s11 = s11.fma(a, b);
        }
        return s0.add(s1).add(s2).add(s3).add(s4).add(s5).add(s6).add(s7).add(s8).add(s9).add(s10).add(s11).lane(0);
    }
}
