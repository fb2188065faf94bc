package dev.nfn4j.zoo;

import java.util.Arrays;
import java.util.Locale;

/**
 * The image edits of nfn's {@code experiments/stylize_siren.py}, on 8-bit grey images
 * {@code [rows][cols]} (row-major), with OpenCV's semantics as that script calls it:
 * <ul>
 * <li>dilate: {@code cv2.dilate} with a 3 x 3 square, one iteration: the maximum over rows
 *     {@code r-1..r+1} and columns {@code c-1..c+1};</li>
 * <li>erode: {@code cv2.erode} with a 2 x 2 square: the minimum over rows {@code r-1..r} and
 *     columns {@code c-1..c} (the anchor of an even kernel is its centre, index 1, so the window
 *     reaches up and left);</li>
 * <li>gradient: {@code cv2.morphologyEx(MORPH_GRADIENT)} with a 2 x 2 square: that window's
 *     maximum minus its minimum;</li>
 * <li>sharpen: {@code cv2.filter2D} with the kernel {@code [[-1/4]*3, [-1/4, 3, -1/4], [-1/4]*3]}:
 *     {@code 3 x[r][c] - (sum of the 8 neighbours) / 4}, rounded half to even and clamped to
 *     [0, 255].</li>
 * </ul>
 * Borders as OpenCV's defaults: the morphological windows ignore pixels outside the image (its
 * constant border of the type's extreme value); the filter reflects without repeating the edge
 * (BORDER_REFLECT_101: index -1 reads 1, index n reads n - 2).
 */
public enum ImageStyle {
    /** Grey-level dilation (the window's maximum). */
    DILATE,
    /** Grey-level erosion (the window's minimum). */
    ERODE,
    /** A sharpening filter. */
    SHARPEN,
    /** The morphological gradient: dilation minus erosion. */
    GRADIENT;

    /** The style named on the command line (any case), or an error listing them. */
    public static ImageStyle parse(String name) {
        for (ImageStyle s : values()) if (s.cliName().equalsIgnoreCase(name == null ? "" : name.trim())) return s;
        throw new IllegalArgumentException("unknown --style '" + name + "' (expected one of " + names() + ")");
    }

    /** Every style's command-line name, comma-separated. */
    public static String names() {
        return String.join(", ", Arrays.stream(values()).map(ImageStyle::cliName).toList());
    }

    /** The name the command line uses. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The stylised image of {@code img} (values 0-255), a new array of the same shape. */
    public int[] apply(int[] img, int rows, int cols) {
        if (img.length != rows * cols) throw new IllegalArgumentException("image of " + img.length + " pixels is not " + rows + " x " + cols);
        return switch (this) {
            case DILATE -> window(img, rows, cols, 1, true);
            case ERODE -> window(img, rows, cols, 0, false);
            case GRADIENT -> {
                int[] hi = window(img, rows, cols, 0, true), lo = window(img, rows, cols, 0, false);
                for (int q = 0; q < hi.length; q++) hi[q] -= lo[q];
                yield hi;
            }
            case SHARPEN -> sharpen(img, rows, cols);
        };
    }

    /**
     * Maximum (or minimum) over the window rows {@code r-1..r+after}, columns {@code c-1..c+after}
     * that lie inside the image: after 1 is a 3 x 3 square, after 0 a 2 x 2 one anchored at its
     * centre.
     */
    private static int[] window(int[] img, int rows, int cols, int after, boolean max) {
        int[] out = new int[img.length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                int best = max ? Integer.MIN_VALUE : Integer.MAX_VALUE;
                for (int y = Math.max(0, r - 1); y <= Math.min(rows - 1, r + after); y++)
                    for (int x = Math.max(0, c - 1); x <= Math.min(cols - 1, c + after); x++)
                        best = max ? Math.max(best, img[y * cols + x]) : Math.min(best, img[y * cols + x]);
                out[r * cols + c] = best;
            }
        return out;
    }

    private static int[] sharpen(int[] img, int rows, int cols) {
        int[] out = new int[img.length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                int neighbours = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                        if (dy != 0 || dx != 0) neighbours += img[reflect101(r + dy, rows) * cols + reflect101(c + dx, cols)];
                double v = 3.0 * img[r * cols + c] - neighbours / 4.0; // exact: a multiple of 1/4
                out[r * cols + c] = (int) Math.max(0, Math.min(255, Math.rint(v)));
            }
        return out;
    }

    /** OpenCV's BORDER_REFLECT_101 index for one step outside [0, n). */
    private static int reflect101(int i, int n) {
        if (n == 1) return 0;
        return i < 0 ? -i : i >= n ? 2 * n - 2 - i : i;
    }
}
