package dev.nfn4j.zoo.build;

import dev.nfn4j.io.AtomicFile;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Npy;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.ops.SirenShape;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.zoo.BuildSettings;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.SirenZoo;
import dev.nfn4j.zoo.Sirens;
import dev.nfn4j.zoo.ZooRandom;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Builds a SIREN zoo on an image dataset (Fashion-MNIST): one SIREN ({@link Sirens}) fitted to
 * each image, {@code K} differently initialised ones per image (nfn's augmentation), many at a
 * time through the SIREN op ({@link Ops#sirenBackward} with the image as target, then
 * {@link Ops#adamStep}), Adam at lr 1e-3 on each SIREN's mean squared error.
 *
 * <p>Images and splits: of {@code N} images, a tenth each (rounded down) for validation and test,
 * the rest for training; training images are Fashion-MNIST's first training images, validation
 * images the training images after them, test images its first test images, so no image is in
 * two splits. SIREN {@code n * K + k} is copy k of image slot n (slots in the order train,
 * validation, test).
 *
 * <p>Output: {@code weights.npy} ({@code [N K, 1185]} float32, each row a SIREN's state_dict
 * flattened in nfn's order), {@code sirens.csv} (per SIREN: split, source file, image index,
 * label, copy, PSNR of its reconstruction) and {@code build.json} (the settings; a folder built
 * with others is refused).
 *
 * <p>Deterministic and resumable: SIREN j's initialisation comes from (seed, j) alone, and the
 * SIRENs are fitted in fixed chunks of {@code batch} (the SIREN op and Adam treat each SIREN
 * separately, so neither the thread count nor the chunking changes a SIREN); each finished chunk
 * is written at once (atomically) to {@code parts/}, and a restarted build fits only the chunks
 * whose part is missing or unreadable. When all are done the zoo files are written (atomically)
 * and {@code parts/} is removed.
 */
public final class SirenZooBuilder {
    private static final Logger LOG = Logger.getLogger(SirenZooBuilder.class.getName());

    public static final String GENERATOR = "nfn4j.siren_zoo";
    /** Bump whenever anything that changes the numbers changes (op, init, optimizer). */
    public static final int GENERATOR_VERSION = 1;
    public static final int DEFAULT_IMAGES = 1000, DEFAULT_PER_IMAGE = 10, DEFAULT_STEPS = 250, DEFAULT_BATCH = 100;
    public static final double LR = 1e-3;
    static final String PARTS = "parts", BUILD_FILE = BuildSettings.FILE, WEIGHTS = SirenZoo.WEIGHTS, TABLE = SirenZoo.TABLE;

    /**
     * What to build.
     *
     * @param seed     zoo seed: SIREN j's initialisation derives from (seed, j)
     * @param images   N images in all (train, validation and test)
     * @param perImage K SIRENs per image
     * @param steps    Adam steps per SIREN
     * @param batch    SIRENs fitted at once (one chunk, one part file)
     */
    public record Config(long seed, int images, int perImage, int steps, int batch) {
        public Config {
            if (images < 1) throw new IllegalArgumentException("images must be >= 1, got " + images);
            if (perImage < 1) throw new IllegalArgumentException("SIRENs per image must be >= 1, got " + perImage);
            if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, got " + steps);
            if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
            if ((long) images * perImage > Integer.MAX_VALUE / Sirens.PARAMS)
                throw new IllegalArgumentException(images + " images x " + perImage + " SIRENs do not fit one weights.npy");
        }

        public static Config defaults() {
            return new Config(0, DEFAULT_IMAGES, DEFAULT_PER_IMAGE, DEFAULT_STEPS, DEFAULT_BATCH);
        }

        public int sirens() {
            return images * perImage;
        }

        int chunks() {
            return (sirens() + batch - 1) / batch;
        }

        int valImages() {
            return images / 10;
        }

        int testImages() {
            return images / 10;
        }

        int trainImages() {
            return images - valImages() - testImages();
        }
    }

    /** Where image slot n comes from. */
    record Source(String split, boolean testFile, int image) {
    }

    static Source source(Config c, int slot) {
        int tr = c.trainImages(), va = c.valImages();
        if (slot < tr) return new Source("train", false, slot);
        if (slot < tr + va) return new Source("val", false, slot);
        return new Source("test", true, slot - tr - va);
    }

    /** What {@link #build} did: per SIREN its PSNR, label and split. */
    public record Summary(int sirens, int fitted, int resumed, boolean alreadyComplete, float[] psnr, double seconds) {
        public double meanPsnr() {
            double s = 0;
            for (float p : psnr) s += p;
            return s / psnr.length;
        }
    }

    private SirenZooBuilder() {
    }

    /**
     * Builds (or finishes) the zoo in {@code out} on {@code ops}.
     *
     * @param progress receives the number of SIRENs done, resumed ones included; may be null
     */
    public static Summary build(ImageData.Split data, Path out, Config c, Ops ops, IntConsumer progress) throws IOException {
        if (c.trainImages() + c.valImages() > data.train().count())
            throw new IllegalArgumentException("--images " + c.images() + " needs " + (c.trainImages() + c.valImages()) + " training images, the data has "
                    + data.train().count());
        if (c.testImages() > data.test().count())
            throw new IllegalArgumentException("--images " + c.images() + " needs " + c.testImages() + " test images, the data has " + data.test().count());
        Path parts = out.resolve(PARTS);
        long t0 = System.nanoTime();
        if (BuildFolder.claim(out, settings(data, c), "a SIREN zoo", parts, out.resolve(TABLE), List.of(WEIGHTS, TABLE, PARTS))) {
            if (progress != null) progress.accept(c.sirens());
            return new Summary(c.sirens(), 0, c.sirens(), true, SirenZoo.read(out).psnr(), 0);
        }
        List<Integer> todo = new ArrayList<>();
        for (int j = 0; j < c.chunks(); j++) if (readPart(parts, j, c) == null) todo.add(j);
        int resumed = c.sirens() - todo.stream().mapToInt(j -> chunkSize(c, j)).sum();
        if (resumed > 0) LOG.info(() -> "siren zoo: resuming, " + resumed + " of " + c.sirens() + " SIRENs already fitted");
        int done = resumed;
        if (progress != null && resumed > 0) progress.accept(resumed);
        float[] grid = Sirens.grid(data.train().rows(), data.train().cols());
        for (int j : todo) {
            Fit f = fitChunk(data, c, j, grid, ops);
            writePart(parts, j, f);
            done += chunkSize(c, j);
            if (progress != null) progress.accept(done);
        }
        float[] psnr = assemble(out, parts, data, c);
        deleteParts(parts);
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Summary(c.sirens(), c.sirens() - resumed, resumed, false, psnr, seconds);
    }

    static int chunkSize(Config c, int j) {
        return Math.min(c.batch(), c.sirens() - j * c.batch());
    }

    /** One chunk's fitted SIRENs (rows, flattened) and their PSNR. */
    record Fit(float[] rows, float[] psnr) {
    }

    /** Fits SIRENs j B .. j B + n of the zoo at once. */
    static Fit fitChunk(ImageData.Split data, Config c, int j, float[] grid, Ops ops) {
        int n = chunkSize(c, j), first = j * c.batch();
        ImageData any = data.train();
        int P = any.pixels();
        SirenShape s = Sirens.shape(n, any.rows(), any.cols());
        float[] rows = new float[n * Sirens.PARAMS], targets = new float[n * P];
        int[] order = new int[n];
        for (int b = 0; b < n; b++) {
            int id = first + b;
            System.arraycopy(Sirens.init(ZooRandom.seedFor(c.seed(), id)), 0, rows, b * Sirens.PARAMS, Sirens.PARAMS);
            Source src = source(c, id / c.perImage());
            Sirens.target(src.testFile() ? data.test() : data.train(), src.image(), targets, b * P);
            order[b] = b;
        }
        WsLayout lay = new WsLayout(Sirens.SPEC, n, 1);
        float[] batch = new float[(int) lay.size()];
        lay.gather(rows, order, batch);
        long size = s.size();
        Ptr w = ops.alloc(size).at(0), g = ops.alloc(size).at(0), m = ops.alloc(size).at(0), v = ops.alloc(size).at(0);
        Ptr x = ops.alloc(s.coordSize()).at(0), t = ops.alloc(s.outSize()).at(0), y = ops.alloc(s.outSize()).at(0);
        ops.upload(batch, 0, w, batch.length);
        ops.upload(grid, 0, x, grid.length);
        ops.upload(targets, 0, t, targets.length);
        AdamConfig adam = AdamConfig.adam(LR);
        for (int step = 1; step <= c.steps(); step++) {
            ops.sirenBackward(s, w, x, null, t, g, null);
            ops.adamStep(size, w, g, m, v, adam, step);
        }
        ops.siren(s, w, x, y);
        float[] pred = new float[(int) s.outSize()];
        ops.download(y, pred, 0, pred.length);
        ops.download(w, batch, 0, batch.length);
        float[] psnr = new float[n];
        for (int b = 0; b < n; b++) {
            double sq = 0;
            for (int q = 0; q < P; q++) {
                double e = (double) pred[b * P + q] - targets[b * P + q];
                sq += e * e;
            }
            psnr[b] = (float) Sirens.psnr(sq / P);
        }
        return new Fit(scatter(lay, batch), psnr);
    }

    /** The inverse of {@link WsLayout#gather} for the identity order: a batch back to one row per sample. */
    static float[] scatter(WsLayout lay, float[] batch) {
        WsLayout one = lay.withBatch(1);
        int per = (int) one.size(), n = lay.batch();
        float[] rows = new float[n * per];
        int pos = 0;
        for (int i = 0; i < lay.numLayers(); i++) {
            int wOff = (int) one.wOffset(i), wLen = (int) one.wPerSample(i), bOff = (int) one.bOffset(i), bLen = (int) one.bPerSample(i);
            for (int b = 0; b < n; b++, pos += wLen) System.arraycopy(batch, pos, rows, b * per + wOff, wLen);
            for (int b = 0; b < n; b++, pos += bLen) System.arraycopy(batch, pos, rows, b * per + bOff, bLen);
        }
        return rows;
    }

    /** build.json: everything the zoo's contents depend on (not the thread count), one key per line. */
    static String settings(ImageData.Split data, Config c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("generator", GENERATOR);
        m.put("generator_version", GENERATOR_VERSION);
        m.put("seed", c.seed());
        m.put("images", c.images());
        m.put("per_image", c.perImage());
        m.put("steps", c.steps());
        m.put("batch", c.batch());
        m.put("optimizer", "adam lr 1e-3, betas (0.9, 0.999), eps 1e-8, per-SIREN mean squared error");
        m.put("splits", String.format(Locale.ROOT, "train %d (training images 0-%d), val %d (training images %d-%d), test %d (test images 0-%d)",
                c.trainImages(), c.trainImages() - 1, c.valImages(), c.trainImages(), c.trainImages() + c.valImages() - 1, c.testImages(),
                c.testImages() - 1));
        m.put("data", BuildSettings.data(data));
        m.put("architecture", "siren 2-32-32-1, omega 30, linear last layer, nfn init; pixels scaled to [-1, 1] on the grid linspace(-1, 1)^2");
        return BuildFolder.json(m);
    }


    static Path partFile(Path parts, int j) {
        return PartFiles.file(parts, "chunk", j);
    }

    private static void writePart(Path parts, int j, Fit f) throws IOException {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("params", HostTensor.f32(new int[]{f.psnr().length, Sirens.PARAMS}, f.rows()));
        t.put("psnr", HostTensor.f32(new int[]{f.psnr().length}, f.psnr()));
        Safetensors.write(partFile(parts, j), t, Map.of("chunk", Integer.toString(j)));
    }

    /** Chunk j's part, or null when it is missing or unusable (logged: it is fitted again). */
    private static Fit readPart(Path parts, int j, Config c) {
        return PartFiles.read(partFile(parts, j), s -> {
            int n = chunkSize(c, j);
            return new Fit(s.get("params", n, Sirens.PARAMS).toFloats(), s.get("psnr", n).toFloats());
        }, LOG, "siren zoo: fitting chunk " + j + " again");
    }

    /** Writes weights.npy and sirens.csv from the parts; returns the PSNRs. */
    private static float[] assemble(Path out, Path parts, ImageData.Split data, Config c) throws IOException {
        int N = c.sirens();
        float[] weights = new float[Math.multiplyExact(N, Sirens.PARAMS)], psnr = new float[N];
        for (int j = 0; j < c.chunks(); j++) {
            Fit f = readPart(parts, j, c);
            if (f == null) throw new NfnFormatException(partFile(parts, j), "missing or unreadable after fitting");
            System.arraycopy(f.rows(), 0, weights, j * c.batch() * Sirens.PARAMS, f.rows().length);
            System.arraycopy(f.psnr(), 0, psnr, j * c.batch(), f.psnr().length);
        }
        StringBuilder csv = new StringBuilder(SirenZoo.HEADER).append('\n');
        for (int i = 0; i < N; i++) {
            Source src = source(c, i / c.perImage());
            int label = (src.testFile() ? data.test() : data.train()).label(src.image());
            csv.append(i).append(',').append(src.split()).append(',').append(src.testFile() ? "test" : "train").append(',').append(src.image())
                    .append(',').append(label).append(',').append(i % c.perImage()).append(',').append(Float.toString(psnr[i])).append('\n');
        }
        Npy.write(out.resolve(WEIGHTS), HostTensor.f32(new int[]{N, Sirens.PARAMS}, weights));
        AtomicFile.write(out.resolve(TABLE), csv.toString().getBytes(StandardCharsets.UTF_8));
        return psnr;
    }

    private static void deleteParts(Path parts) throws IOException {
        try (Stream<Path> s = Files.list(parts)) {
            for (Path p : s.toList()) Files.delete(p);
        }
        Files.delete(parts);
    }
}
