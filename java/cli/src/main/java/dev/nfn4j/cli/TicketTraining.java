package dev.nfn4j.cli;

import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.train.TicketModel;
import dev.nfn4j.train.TicketTrainer;
import dev.nfn4j.zoo.Splits;
import dev.nfn4j.zoo.TicketZoo;
import dev.nfn4j.zoo.build.TicketZooBuilder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/** {@code train --task ticket}: the mask predictor on a ticket zoo ({@code zoo build-tickets}). */
final class TicketTraining {
    private TicketTraining() {
    }

    /**
     * The equivariant NFN of the chosen kind (HNP, NP, or NP_IO: NP with learned input and output
     * neuron embeddings, so it can tell input pixels apart) with NF-Layers {@code --hidden} and a
     * one-channel output NF-Layer, or (mlp) the non-equivariant baseline with a hidden layer as
     * wide as the first {@code --hidden}; {@code --pool} and {@code --head} do not apply.
     */
    static TicketModel model(ModelOptions o) {
        String kind = o.kind.trim().toUpperCase(Locale.ROOT);
        if (kind.equals("MLP")) return TicketModel.mlp(o.hidden[0]);
        if (!kind.equals("HNP") && !kind.equals("NP") && !kind.equals("NP_IO"))
            throw new IllegalArgumentException("--task ticket trains an equivariant NFN (--model hnp, np or np_io) or the MLP baseline (--model mlp), got " + o.kind);
        int[] hidden = Arrays.copyOf(o.hidden, o.hidden.length + 1);
        hidden[o.hidden.length] = 1;
        return TicketModel.nfn(new ModelConfig(kind, hidden, o.act, InvariantNfn.Pool.NONE, new int[0], o.fourier, o.fourierScale, o.dropout));
    }

    /** Index of {@code sparsity} among the zoo's densities (float equality as written), or an error listing them. */
    static int densityIndex(TicketZoo zoo, double sparsity) {
        if (!(sparsity > 0 && sparsity < 1)) throw new IllegalArgumentException("--sparsity (the fraction of weights kept) must be in (0, 1), got " + sparsity);
        float[] d = zoo.densities();
        for (int k = 0; k < d.length; k++) if (d[k] == (float) sparsity) return k;
        throw new IllegalArgumentException("--sparsity " + sparsity + " is not one of the zoo's densities " + Arrays.toString(d));
    }

    /** The zoo file of a --zoo argument: the folder's tickets.safetensors, or the file itself. */
    static Path zooFile(Path zoo) {
        if (zoo == null) throw new IllegalArgumentException("--task ticket needs --zoo DIR (a folder made by 'nfn4j zoo build-tickets')");
        Path f = Files.isDirectory(zoo) ? zoo.resolve(TicketZooBuilder.ZOO_FILE) : zoo;
        if (!Files.exists(f)) throw new IllegalArgumentException(f + " does not exist (build it with: nfn4j zoo build-tickets --out DIR)");
        return f;
    }

    static int run(ZooOptions zo, ModelOptions mo, TrainOptions to, double sparsity, Path out) throws IOException {
        TicketModel model = model(mo);
        TicketZoo zoo = TicketZoo.read(zooFile(zo.zooDir));
        int k = densityIndex(zoo, sparsity);
        if (zoo.size() < 10) throw new IllegalArgumentException(zo.zooDir + " holds " + zoo.size() + " networks; a split needs at least 10");
        Splits splits = Splits.nfn(zoo.size(), zo.splitSeed);
        System.out.printf("data     %s: %d %s networks, density %s (per layer %s); split %d/%d/%d%n", zo.zooDir, zoo.size(), zoo.arch().name(),
                zoo.densities()[k], Arrays.toString(TicketTrainer.layerDensity(zoo, k)), splits.train().length, splits.val().length, splits.test().length);
        System.out.printf("model    %s, %s on %s%n", model, to, Backends.get().describe());
        TicketTrainer t = new TicketTrainer(Backends.get(), model, zoo, splits, new TicketTrainer.Config(to.epochs, to.batch, to.lr, to.seed, k), out);
        TicketTrainer.Result r = t.fit();
        System.out.printf(Locale.ROOT, "test     loss %.4f; mask IoU with IMP: nfn %.3f  magnitude-at-init %.3f  random %.3f  (best epoch %d, %.1f s)%n",
                r.testLoss(), r.nfnIou(), r.magnitudeIou(), r.randomIou(), r.bestEpoch(), r.seconds());
        System.out.printf("files    %s, %s%n", r.checkpoint(), out.resolve("log.jsonl"));
        return 0;
    }
}
