package dev.nfn4j.cli;

import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.train.EditModel;
import dev.nfn4j.train.EditNet;
import dev.nfn4j.train.EditTrainer;
import dev.nfn4j.zoo.EditTargets;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.ImageStyle;
import dev.nfn4j.zoo.build.SirenGrid;
import dev.nfn4j.zoo.SirenZoo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * {@code train --task edit}, and {@code eval} and {@code render} of its checkpoints: INR editing
 * on a SIREN zoo ({@code zoo build-siren}). Options not given on the command line take nfn's
 * stylize settings (the NF-Layers 128, 128, 128 with 128 Fourier frequencies at scale 3, the MLP
 * 1000, 1000, 1000; batch 32, warm-up 1000 steps); the others keep {@code train}'s defaults.
 */
final class EditTraining {
    static final int NFN_BATCH = 32, NFN_WARMUP = 1000;
    /** Options of {@code train} that the editing nets do not have. */
    static final List<String> NOT_FOR_EDIT = List.of("--pool", "--head", "--append-stats", "--act", "--dropout", "--normalize", "--no-normalize",
            "--loss", "--resume", "--sparsity");

    private EditTraining() {
    }

    /** The transfer net of the options, nfn's settings where an option was not given. */
    static EditNet net(ModelOptions o, Predicate<String> given) {
        EditNet d = EditNet.nfn(EditNet.KINDS.contains(o.kind.trim().toUpperCase(Locale.ROOT)) ? o.kind : "hnp");
        EditNet n = new EditNet(o.kind, given.test("--hidden") ? o.hidden : d.hidden(), given.test("--fourier") ? o.fourier : d.fourier(),
                given.test("--fourier-scale") ? o.fourierScale : d.fourierScale(), d.outScale());
        if (n.kind().equals("MLP") && given.test("--fourier") && o.fourier > 0)
            throw new IllegalArgumentException("--fourier: the MLP transfer net reads the flattened weights as they are");
        return n;
    }

    static int run(ZooOptions zo, ModelOptions mo, TrainOptions to, EditOptions eo, Path out, Predicate<String> given) throws IOException {
        if (zo.zooDir == null) throw new IllegalArgumentException("--task edit needs --zoo DIR (a SIREN zoo made by 'nfn4j zoo build-siren')");
        if (eo.style == null) throw new IllegalArgumentException("--task edit needs --style (" + ImageStyle.names() + ")");
        ImageStyle style = ImageStyle.parse(eo.style);
        TrainCommand.refuseOptions("edit", NOT_FOR_EDIT, given, "its nets: --model hnp, np or mlp");
        EditNet net = net(mo, given);
        to.check();
        EditTrainer.Config cfg = new EditTrainer.Config(to.epochs, given.test("--batch") ? to.batch : NFN_BATCH, to.lr,
                given.test("--warmup") ? to.warmup : NFN_WARMUP, to.seed, to.patience, to.weightDecay, to.adamW);
        refuseOtherTask(out.resolve("best.safetensors"));
        SirenZoo zoo = SirenZoo.read(zo.zooDir);
        ImageData.Split data = ImageData.load(eo.data);
        EditTargets targets = new EditTargets(zoo, data, style);
        System.out.printf(Locale.ROOT, "data     %s: %d SIRENs; train %d, val %d, test %d (copy 0); style %s%n", zo.zooDir, zoo.size(),
                EditTrainer.split(zoo, "train").length, EditTrainer.split(zoo, "val").length, EditTrainer.split(zoo, "test").length, style.cliName());
        EditModel model = new EditModel(Backends.get(), net, style, targets.rows(), targets.cols(), to.seed);
        System.out.printf(Locale.ROOT, "model    %s (%d parameters); %d epochs, batch %d, %s lr %s wd %s, warm-up %d steps, seed %d on %s%n", net,
                model.params().count(), cfg.epochs(), cfg.batchSize(), cfg.adamW() ? "AdamW" : "Adam", cfg.lr(), cfg.weightDecay(), cfg.warmup(),
                cfg.seed(), Backends.get().describe());
        Map<String, String> md = new LinkedHashMap<>();
        md.put("zoo", zo.zooDir.toAbsolutePath().toString());
        md.put("data", eo.data.toAbsolutePath().toString());
        md.put("seed", String.valueOf(to.seed));
        EditTrainer.Result r = new EditTrainer(model, zoo, targets, cfg, out, md).fit();
        System.out.printf(Locale.ROOT, "test     MSE %.5f  (no edit %.5f); best epoch %d (val MSE %.5f), %d steps, %.1f s%n", r.testMse(),
                r.noEditTestMse(), r.bestEpoch(), r.bestValMse(), r.steps(), r.seconds());
        System.out.printf("files    %s, %s%n", r.checkpoint(), out.resolve("log.jsonl"));
        return 0;
    }

    /** A checkpoint already in --out from another task is not overwritten: the folder is another run's. */
    private static void refuseOtherTask(Path best) throws IOException {
        if (!Files.isRegularFile(best)) return;
        String task = EditModel.task(Safetensors.read(best));
        if (!task.equals(EditModel.TASK))
            throw new NfnFormatException(best, "--out holds a '" + task + "' checkpoint; --task edit writes its own: use another folder");
    }

    /** True when {@code file} is a checkpoint whose metadata names the editing task. */
    static boolean isEditCheckpoint(Path file) throws IOException {
        if (!Files.isRegularFile(file) || !file.getFileName().toString().endsWith(".safetensors")) return false;
        return EditModel.TASK.equals(EditModel.task(Safetensors.read(file)));
    }

    /** An editing checkpoint with the zoo (its recorded one unless given) and the images its metadata names. */
    record Loaded(EditModel model, SirenZoo zoo, EditTargets targets) {
        /** With the zoo and images given, or (null) those the checkpoint names. */
        static Loaded of(Path checkpoint, Path zooDir, Path dataDir) throws IOException {
            Map<String, String> md = EditModel.requireEdit(checkpoint).metadata();
            if (zooDir == null && !md.containsKey("zoo")) throw new NfnFormatException(checkpoint, "metadata names no zoo: give --zoo DIR");
            SirenZoo z = SirenZoo.read(zooDir != null ? zooDir : Path.of(md.get("zoo")));
            ImageData.Split data = ImageData.load(dataDir != null ? dataDir : Path.of(md.getOrDefault("data", ImageData.DEBIAN_FASHION_MNIST.toString())));
            EditModel m = EditModel.load(checkpoint, Backends.get(), data.train().rows(), data.train().cols());
            return new Loaded(m, z, new EditTargets(z, data, m.style()));
        }
    }

    /** {@code eval}: the test (or another split's) MSE of the model and of the SIRENs unedited. */
    static int evaluate(List<Path> checkpoints, Path zooDir, String split) throws IOException {
        if (!SirenZoo.SPLITS.contains(split)) throw new IllegalArgumentException("--split " + split + ": expected one of " + SirenZoo.SPLITS);
        for (Path c : checkpoints) {
            Loaded l = Loaded.of(c, zooDir, null);
            int[] ids = EditTrainer.split(l.zoo(), split);
            if (ids.length == 0) throw new IllegalArgumentException(l.zoo().dir() + " has no SIRENs in split " + split);
            double mse = l.model().meanMse(l.zoo(), l.targets(), ids, true), none = l.model().meanMse(l.zoo(), l.targets(), ids, false);
            System.out.printf(Locale.ROOT, "%s (%s, style %s) on %s split (%d SIRENs, copy 0): MSE %.5f  no edit %.5f%n", c, l.model().net(),
                    l.model().style().cliName(), split, ids.length, mse, none);
        }
        return 0;
    }

    /** {@code render}: per SIREN the source image, its reconstruction, the edited SIREN and the target. */
    static void render(Path checkpoint, Path zooDir, Path dataDir, Path png, List<Integer> rows, String split, int count) throws IOException {
        if (!SirenZoo.SPLITS.contains(split)) throw new IllegalArgumentException("--split " + split + ": expected one of " + SirenZoo.SPLITS);
        Loaded l = Loaded.of(checkpoint, zooDir, dataDir);
        SirenZoo z = l.zoo();
        int[] ids = rows != null ? rows.stream().mapToInt(Integer::intValue).toArray()
                : EditTrainer.split(z, split).length == 0 ? new int[0] : java.util.Arrays.stream(EditTrainer.split(z, split)).limit(count).toArray();
        for (int i : ids) if (i < 0 || i >= z.size()) throw new IllegalArgumentException("--rows: SIREN " + i + " is outside the zoo's 0-" + (z.size() - 1));
        if (ids.length == 0) throw new IllegalArgumentException(z.dir() + " has no SIRENs in split " + split);
        int P = l.targets().rows() * l.targets().cols();
        float[] src = new float[ids.length * P], tgt = new float[ids.length * P];
        for (int r = 0; r < ids.length; r++) {
            System.arraycopy(l.targets().source(ids[r]), 0, src, r * P, P);
            System.arraycopy(l.targets().target(ids[r]), 0, tgt, r * P, P);
        }
        float[][] rendered = l.model().render(z, l.targets(), ids);
        SirenGrid.write(png, z, ids, l.targets().rows(), l.targets().cols(), List.of("image", "SIREN", "edited", l.model().style().cliName()),
                List.of(src, rendered[0], rendered[1], tgt));
        System.out.printf("wrote %s: %d SIRENs (image | SIREN | edited SIREN | %s target): %s%n", png, ids.length, l.model().style().cliName(),
                java.util.Arrays.toString(ids));
    }
}
