package dev.nfn4j.jmh;

import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.nn.Params;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.SpecJson;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.train.Predictor;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Single-network latency of {@link Predictor#predict} on the paper's model (HNP 16/16/5, HNP
 * pooling, head 1000-1000-1) over Small-CNN-Zoo-shaped weights. SampleTime mode: JMH reports
 * p50 and p99 (and the rest of the distribution).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow"})
public class PredictorBench {
    @Param("HNP")
    public String kind;

    @Param("simd")
    public String backend;

    private Predictor predictor;
    private HostWeights one;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        Ops ops = Backends.byName(backend);
        NetworkSpec spec = Workloads.parseSpec(Workloads.ZOO_SIZES, Workloads.ZOO_FILTERS);
        ModelConfig cfg = ModelConfig.paper(kind);
        Params params = new Params(ops);
        cfg.build(params, spec, 1);
        params.allocate(1);
        Path ckpt = Files.createTempFile("nfn4j-bench", ".safetensors");
        ckpt.toFile().deleteOnExit();
        Checkpoints.saveParams(ckpt, "", params, Map.of("model", cfg.toJson(), "network_spec", SpecJson.write(spec)));
        predictor = Predictor.load(ckpt, ops);
        WsLayout lay = new WsLayout(spec, 1, 1);
        float[] w = new float[Math.toIntExact(lay.size())];
        SplittableRandom rnd = new SplittableRandom(4);
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextDouble() - 0.5);
        one = new HostWeights(lay, w);
    }

    @Benchmark
    public float[] predictOne() {
        return predictor.predict(one);
    }
}
