package dev.nfn4j.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The image edits of INR editing: small cases worked by hand, and OpenCV's outputs (the library nfn's script calls). */
class ImageStyleTest {
    /** A 3 x 4 image with one bright pixel at row 1, column 1 and a dimmer one in the bottom-right corner. */
    private static final int[] IMG = {
            0, 0, 0, 0,
            0, 100, 0, 0,
            0, 0, 0, 40};

    @Test
    void dilateTakesTheMaximumOfTheThreeByThreeSquareInsideTheImage() {
        assertArrayEquals(new int[]{
                100, 100, 100, 0,
                100, 100, 100, 40,
                100, 100, 100, 40}, ImageStyle.DILATE.apply(IMG, 3, 4));
    }

    @Test
    void twoByTwoWindowsReachUpAndLeft() {
        // cv2's anchor of a 2 x 2 kernel is its centre (1, 1): pixel (r, c) sees rows r-1..r and columns c-1..c.
        int[] flat = {
                9, 9, 9, 9,
                9, 3, 9, 9,
                9, 9, 9, 9};
        assertArrayEquals(new int[]{
                9, 9, 9, 9,
                9, 3, 3, 9,
                9, 3, 3, 9}, ImageStyle.ERODE.apply(flat, 3, 4));
        assertArrayEquals(new int[]{
                0, 0, 0, 0,
                0, 100, 100, 0,
                0, 100, 100, 40}, ImageStyle.GRADIENT.apply(IMG, 3, 4));
        // On the first row and column the window is cut by the border: erode keeps the pixels inside only.
        assertArrayEquals(new int[]{5, 5, 7}, ImageStyle.ERODE.apply(new int[]{5, 8, 7}, 1, 3));
    }

    @Test
    void sharpenReflectsAtTheBorderAndRoundsHalfToEven() {
        int[] img = {
                10, 10, 10,
                10, 11, 10,
                10, 10, 12};
        // centre: 3*11 - (7*10 + 12)/4 = 12.5 -> 12 (even); corner (0,0) reflects to 11 at (-1,-1), (-1,1), (1,-1):
        // 3*10 - (11+10+11+10+10+11+10+11)/4 = 9; corner (2,2): 3*12 - (11+10+11+10+10+11+10+11)/4 = 15.
        int[] out = ImageStyle.SHARPEN.apply(img, 3, 3);
        assertEquals(12, out[4]);
        assertEquals(9, out[0]);
        assertEquals(15, out[8]);
        assertArrayEquals(new int[]{255, 0}, ImageStyle.SHARPEN.apply(new int[]{200, 0}, 1, 2)); // clamped to [0, 255]
    }

    @Test
    void matchesOpenCvOnRandomImages() throws IOException {
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(getClass().getResourceAsStream("image-styles-opencv.txt"), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) if (!l.startsWith("#")) lines.add(l);
        }
        int cases = 0;
        for (int i = 0; i < lines.size(); i += 3) {
            String[] head = lines.get(i).split(" ");
            int rows = Integer.parseInt(head[1]), cols = Integer.parseInt(head[2]);
            int[] in = ints(lines.get(i + 1)), expected = ints(lines.get(i + 2));
            assertArrayEquals(expected, ImageStyle.parse(head[0]).apply(in, rows, cols), lines.get(i));
            cases++;
        }
        assertEquals(24, cases);
    }

    @Test
    void namesAndShapesAreChecked() {
        assertEquals(ImageStyle.GRADIENT, ImageStyle.parse(" Gradient "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageStyle.parse("blur"));
        assertTrue(e.getMessage().contains("dilate, erode, sharpen, gradient"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageStyle.DILATE.apply(new int[5], 2, 3));
    }

    private static int[] ints(String line) {
        return Arrays.stream(line.trim().split(" ")).mapToInt(Integer::parseInt).toArray();
    }
}
