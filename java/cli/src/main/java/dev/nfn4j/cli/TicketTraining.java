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
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * {@code train --task ticket}: the mask predictor on a ticket zoo ({@code zoo build-tickets}).
 * Options not given on the command line take the settings measured best on the MLP ticket zoo
 * (BENCHMARKS.md): NP_IO with NF-Layers 16, 16, 100 epochs at lr 3e-3; HNP, {@code train}'s
 * general default, does not fit the 784-input MLP at that width.
 */
final class TicketTraining {
    static final String MODEL = "np_io";
    static final int[] HIDDEN = {16, 16};
    static final int EPOCHS = 100;
    static final double LR = 3e-3;
    /** Options of {@code train} that the mask predictor's training does not read. */
    static final List<String> NOT_FOR_TICKET = List.of("--pool", "--head", "--append-stats", "--loss", "--normalize", "--no-normalize",
            "--weight-decay", "--adamw", "--warmup", "--patience", "--resume", "--step", "--train-steps", "--split-order", "--networks",
            "--zoo-seed", "--cache", "--style", "--data");

    private TicketTraining() {
    }

    /**
     * The equivariant NFN of the chosen kind (HNP, NP, or NP_IO: NP with learned input and output
     * neuron embeddings, so it can tell input pixels apart) with NF-Layers {@code --hidden} and a
     * one-channel output NF-Layer, or (mlp) the non-equivariant baseline with a hidden layer as
     * wide as the first {@code --hidden}; this task's defaults ({@link #MODEL}, {@link #HIDDEN})
     * where {@code --model} or {@code --hidden} is not given.
     */
    static TicketModel model(ModelOptions o, Predicate<String> given) {
        String kind = (given.test("--model") ? o.kind : MODEL).trim().toUpperCase(Locale.ROOT);
        int[] nfLayers = given.test("--hidden") ? o.hidden : HIDDEN;
        if (kind.equals("MLP")) return TicketModel.mlp(nfLayers[0]);
        if (!kind.equals("HNP") && !kind.equals("NP") && !kind.equals("NP_IO"))
            throw new IllegalArgumentException("--task ticket trains an equivariant NFN (--model hnp, np or np_io) or the MLP baseline (--model mlp), got " + o.kind);
        int[] hidden = Arrays.copyOf(nfLayers, nfLayers.length + 1);
        hidden[nfLayers.length] = 1;
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

    static int run(ZooOptions zo, ModelOptions mo, TrainOptions to, double sparsity, Path out, Predicate<String> given) throws IOException {
        TrainCommand.refuseOptions("ticket", NOT_FOR_TICKET, given, "the mask predictor: --model, --hidden, --act, --dropout, --epochs, --batch, --lr, --seed, --split-seed");
        if (!given.test("--epochs")) to.epochs = EPOCHS;
        if (!given.test("--lr")) to.lr = LR;
        to.check();
        TicketModel model = model(mo, given);
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
