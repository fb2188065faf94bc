package dev.nfn4j.zoo.build;

import dev.nfn4j.io.AtomicFile;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.ops.SirenShape;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.SirenZoo;
import dev.nfn4j.zoo.Sirens;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A picture of SIRENs from a zoo: per SIREN one row, its source image beside the SIREN's
 * reconstruction (rendered with the SIREN op on the image's grid), captioned with the index,
 * split, class and PSNR. Pixels in [-1, 1] are drawn as grey levels, clipped.
 */
public final class SirenGrid {
    static final int SCALE = 4, GAP = 8, CAPTION = 150;

    private SirenGrid() {
    }

    /** The reconstructions {@code [n][rows * cols]} of the zoo's SIRENs {@code ids}, on the grid of rows x cols. */
    public static float[] render(SirenZoo zoo, int[] ids, int rows, int cols, Ops ops) {
        int n = ids.length;
        SirenShape s = Sirens.shape(n, rows, cols);
        WsLayout lay = new WsLayout(Sirens.SPEC, n, 1);
        float[] batch = new float[(int) lay.size()];
        lay.gather(zoo.weights(), ids, batch);
        float[] grid = Sirens.grid(rows, cols);
        Ptr w = ops.alloc(s.size()).at(0), x = ops.alloc(s.coordSize()).at(0), y = ops.alloc(s.outSize()).at(0);
        ops.upload(batch, 0, w, batch.length);
        ops.upload(grid, 0, x, grid.length);
        ops.siren(s, w, x, y);
        float[] out = new float[(int) s.outSize()];
        ops.download(y, out, 0, out.length);
        return out;
    }

    /** Writes the PNG (atomically): for each id, the source image and the reconstruction. */
    public static void write(Path png, SirenZoo zoo, int[] ids, ImageData.Split data, Ops ops) throws IOException {
        write(png, zoo, ids, data, ops, null, null);
    }

    /**
     * As above, with a classifier's predicted class under each SIREN's caption ({@code predicted[r]}
     * the class of ids[r], {@code probability[r]} its probability), green when it is the label, red
     * when not; {@code predicted} null draws none.
     */
    public static void write(Path png, SirenZoo zoo, int[] ids, ImageData.Split data, Ops ops, int[] predicted, float[] probability)
            throws IOException {
        int rows = data.train().rows(), cols = data.train().cols(), P = rows * cols;
        float[] src = new float[ids.length * P];
        for (int r = 0; r < ids.length; r++) {
            int id = ids[r];
            ImageData d = zoo.source()[id].equals("test") ? data.test() : data.train();
            if (zoo.image()[id] >= d.count())
                throw new IllegalArgumentException("SIREN " + id + " was fitted to " + zoo.source()[id] + " image " + zoo.image()[id] + ", the data has "
                        + d.count());
            Sirens.target(d, zoo.image()[id], src, r * P);
        }
        write(png, zoo, ids, rows, cols, List.of("image", "SIREN"), List.of(src, render(zoo, ids, rows, cols, ops)), predicted, probability);
    }

    /**
     * Writes the PNG (atomically): per id one row of pictures, column k drawn from
     * {@code columns.get(k)} {@code [ids.length][rows cols]} under the title {@code titles.get(k)},
     * then the SIREN's caption.
     */
    public static void write(Path png, SirenZoo zoo, int[] ids, int rows, int cols, List<String> titles, List<float[]> columns) throws IOException {
        write(png, zoo, ids, rows, cols, titles, columns, null, null);
    }

    private static void write(Path png, SirenZoo zoo, int[] ids, int rows, int cols, List<String> titles, List<float[]> columns,
                              int[] predicted, float[] probability) throws IOException {
        int P = rows * cols, n = columns.size();
        int cellW = cols * SCALE, cellH = rows * SCALE;
        int width = GAP + n * (cellW + GAP) + CAPTION, height = GAP + 20 + ids.length * (cellH + GAP);
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int k = 0; k < n; k++) g.drawString(titles.get(k), GAP + k * (cellW + GAP), GAP + 12);
        int text = GAP + n * (cellW + GAP);
        for (int r = 0; r < ids.length; r++) {
            int id = ids[r], top = GAP + 20 + r * (cellH + GAP);
            for (int k = 0; k < n; k++) draw(img, columns.get(k), r * P, rows, cols, GAP + k * (cellW + GAP), top);
            int label = zoo.label()[id];
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "#%d %s", id, zoo.split()[id]), text, top + 14);
            g.drawString(label < ImageData.FASHION_CLASSES.length ? ImageData.FASHION_CLASSES[label] : "class " + label, text, top + 30);
            g.drawString(String.format(Locale.ROOT, "%.1f dB", zoo.psnr()[id]), text, top + 46);
            if (predicted != null) {
                int k = predicted[r];
                g.setColor(k == label ? new Color(0, 128, 0) : new Color(192, 0, 0));
                g.drawString(String.format(Locale.ROOT, "predicted: %s", k < ImageData.FASHION_CLASSES.length ? ImageData.FASHION_CLASSES[k] : "class " + k),
                        text, top + 70);
                g.drawString(String.format(Locale.ROOT, "p = %.2f", probability[r]), text, top + 86);
            }
        }
        g.dispose();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(img, "png", bytes);
        AtomicFile.write(png, bytes.toByteArray());
    }

    private static void draw(BufferedImage img, float[] v, int at, int rows, int cols, int left, int top) {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                float x = Math.max(-1f, Math.min(1f, v[at + r * cols + c]));
                int grey = Math.round((x + 1) / 2 * 255);
                int rgb = grey << 16 | grey << 8 | grey;
                for (int dy = 0; dy < SCALE; dy++)
                    for (int dx = 0; dx < SCALE; dx++) img.setRGB(left + c * SCALE + dx, top + r * SCALE + dy, rgb);
            }
    }
}
