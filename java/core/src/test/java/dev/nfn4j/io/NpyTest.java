package dev.nfn4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NpyTest {
    @TempDir
    Path dir;

    private static final float[] A23 = {-1f, -0.5f, 0f, 0.5f, 1f, 1.5f}; // np.arange(6) * 0.5 - 1, shape (2, 3)
    private static final double[] D5 = {Math.PI, -1e300, 0, 1, Double.MIN_VALUE};

    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(NpyTest.class.getResource("npy/" + name).toURI());
    }

    // ---- interop: files numpy wrote (npy/make_fixtures.py) ----

    @Test
    void readsFilesWrittenByNumpy() throws Exception {
        for (String name : List.of("f4_2x3_v1.npy", "f4_2x3_v2.npy", "f4_2x3_v3.npy", "f4_2x3_be.npy")) {
            HostTensor t = Npy.read(fixture(name));
            assertEquals(DType.F32, t.dtype(), name);
            assertEquals("[2, 3]", t.shapeString(), name);
            assertArrayEquals(A23, t.toFloats(), name);
        }
        assertEquals(1, Npy.header(fixture("f4_2x3_v1.npy")).major());
        assertEquals(2, Npy.header(fixture("f4_2x3_v2.npy")).major());
        assertEquals(3, Npy.header(fixture("f4_2x3_v3.npy")).major());
        assertEquals(ByteOrder.BIG_ENDIAN, Npy.header(fixture("f4_2x3_be.npy")).order());
        assertEquals(">f4", Npy.header(fixture("f4_2x3_be.npy")).descr());

        for (String name : List.of("f8_5.npy", "f8_5_be.npy")) {
            HostTensor t = Npy.read(fixture(name));
            assertEquals(DType.F64, t.dtype(), name);
            assertEquals("[5]", t.shapeString(), name);
            assertArrayEquals(D5, t.toDoubles(), name);
        }
        assertEquals("(5,)", Npy.header(fixture("f8_5.npy")).shapeString());

        HostTensor scalar = Npy.read(fixture("f4_scalar.npy"));
        assertEquals("[]", scalar.shapeString());
        assertArrayEquals(new float[]{3.5f}, scalar.toFloats());
        assertEquals("()", Npy.header(fixture("f4_scalar.npy")).shapeString());

        HostTensor empty = Npy.read(fixture("f4_0x4.npy"));
        assertEquals("[0, 4]", empty.shapeString());
        assertEquals(0, empty.numel());
    }

    @Test
    void readsNpzArchivesPlainAndCompressed() throws Exception {
        for (String name : List.of("arrays.npz", "arrays_compressed.npz")) {
            Map<String, HostTensor> m = Npy.readNpz(fixture(name));
            assertEquals(List.of("a", "b"), List.copyOf(m.keySet()), name);
            assertArrayEquals(A23, m.get("a").toFloats(), name);
            assertEquals("[2, 3]", m.get("a").shapeString());
            assertEquals(DType.F64, m.get("b").dtype());
            assertArrayEquals(new double[]{1.5, -2.0}, m.get("b").toDoubles(), name);
        }
    }

    @Test
    void fortranOrderAndIntegerDtypesAreClearErrors() throws Exception {
        Path f = fixture("f4_fortran.npy");
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> Npy.read(f));
        assertEquals(f, e.file());
        assertTrue(e.getMessage().endsWith(" (" + f + ")"), e.getMessage());
        assertTrue(e.getMessage().contains("fortran_order True"), e.getMessage());
        Path i8 = fixture("i8_3.npy");
        e = assertThrows(NfnFormatException.class, () -> Npy.read(i8));
        assertTrue(e.getMessage().contains("unsupported dtype '<i8'"), e.getMessage());
    }

    // ---- round trips ----

    @Test
    void roundTripsShapesAndDtypes() throws IOException {
        float[] odd = new float[3 * 7];
        for (int i = 0; i < odd.length; i++) odd[i] = i * 0.25f - 2;
        odd[3] = Float.NaN;
        odd[4] = -0.0f;
        odd[5] = Float.NEGATIVE_INFINITY;
        odd[6] = Float.MIN_VALUE;
        List<HostTensor> tensors = List.of(
                HostTensor.f32(new int[0], new float[]{3.5f}),
                HostTensor.f32(new int[]{5}, new float[]{1, 2, 3, 4, 5}),
                HostTensor.f32(new int[]{2, 0, 3}, new float[0]),
                HostTensor.f32(new int[]{3, 7}, odd),
                HostTensor.f64(new int[]{2, 3}, new double[]{Math.PI, -1e300, 0, 1, Double.MIN_VALUE, -7}),
                HostTensor.f32(new int[]{300_001}, new float[300_001])); // more than one 1 MiB chunk
        int k = 0;
        for (HostTensor t : tensors) {
            Path file = dir.resolve("t" + k++ + ".npy");
            Npy.write(file, t);
            HostTensor got = Npy.read(file);
            assertEquals(t.dtype(), got.dtype(), file.toString());
            assertEquals(t.shapeString(), got.shapeString(), file.toString());
            if (t.dtype() == DType.F32) assertArrayEquals(t.toFloats(), got.toFloats());
            else assertArrayEquals(t.toDoubles(), got.toDoubles());
            NpyHeader h = Npy.header(file);
            assertEquals(1, h.major());
            assertEquals(0, h.dataOffset() % 64, "numpy aligns the data to 64 bytes");
            assertEquals(ByteOrder.LITTLE_ENDIAN, h.order());
        }
        // The header is the dict numpy writes, padded with spaces and ended by a newline.
        byte[] bytes = Files.readAllBytes(dir.resolve("t1.npy"));
        String header = new String(bytes, 10, (int) Npy.header(dir.resolve("t1.npy")).dataOffset() - 10, StandardCharsets.US_ASCII);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }"), header);
        assertTrue(header.endsWith(" \n"), header);
    }

    @Test
    void writeIsAtomicAndReplacesTheOldFile() throws IOException {
        Path file = dir.resolve("w.npy");
        Npy.write(file, HostTensor.f32(new int[]{2}, new float[]{1, 2}));
        Npy.write(file, HostTensor.f32(new int[]{3}, new float[]{4, 5, 6}));
        assertArrayEquals(new float[]{4, 5, 6}, Npy.read(file).toFloats());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(file), s.toList(), "no temp files left behind");
        }
        assertThrows(IllegalArgumentException.class, () -> Npy.write(dir.resolve("i.npy"), HostTensor.ofLongs(DType.I64, new int[]{1}, new long[]{1})));
        assertTrue(Files.notExists(dir.resolve("i.npy")));
    }

    @Test
    void readsSelectedRowsInTheRequestedOrder() throws Exception {
        float[] data = new float[5 * 3];
        for (int i = 0; i < data.length; i++) data[i] = i;
        Path file = dir.resolve("rows.npy");
        Npy.write(file, HostTensor.f32(new int[]{5, 3}, data));
        assertArrayEquals(new float[]{12, 13, 14, 0, 1, 2, 6, 7, 8, 6, 7, 8}, Npy.readRows(file, new long[]{4, 0, 2, 2}));
        assertArrayEquals(new float[0], Npy.readRows(file, new long[0]));
        assertArrayEquals(new float[]{(float) Math.PI, 0}, // f8 rows are rounded to float, big-endian decoded
                slice(Npy.readRows(fixtureRows(), new long[]{1, 0}), new int[]{0, 3}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.readRows(file, new long[]{5}));
        assertTrue(e.getMessage().contains("row 5") && e.getMessage().contains(file.toString()), e.getMessage());
        NfnFormatException notTwoD = assertThrows(NfnFormatException.class, () -> Npy.readRows(fixture("f8_5.npy"), new long[]{0}));
        assertTrue(notTwoD.getMessage().contains("2-D"), notTwoD.getMessage());
    }

    /** A (2, 3) big-endian f8 file: rows [[0, 1, 2], [pi, 4, 5]]. */
    private Path fixtureRows() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(48).order(ByteOrder.BIG_ENDIAN);
        for (double v : new double[]{0, 1, 2, Math.PI, 4, 5}) data.putDouble(v);
        Path f = dir.resolve("be.npy");
        Files.write(f, npy(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }", data.array()));
        return f;
    }

    private static float[] slice(float[] a, int[] idx) {
        float[] out = new float[idx.length];
        for (int i = 0; i < idx.length; i++) out[i] = a[idx[i]];
        return out;
    }

    // ---- malformed files ----

    static Stream<Arguments> malformed() {
        String ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
        byte[] eight = new byte[8];
        return Stream.of(
                Arguments.of("empty file", new byte[0], "magic"),
                Arguments.of("wrong magic", "PK\u0003\u0004 not numpy".getBytes(StandardCharsets.ISO_8859_1), "magic"),
                Arguments.of("version 4.0", withVersion(npy(1, ok, eight), 4), "unsupported .npy format version 4.0"),
                Arguments.of("version 1.1", withMinor(npy(1, ok, eight)), "unsupported .npy format version 1.1"),
                Arguments.of("cut in the length", java.util.Arrays.copyOf(npy(1, ok, eight), 9), "header length"),
                Arguments.of("length past the end", java.util.Arrays.copyOf(npy(1, ok, eight), 40), "runs past the end"),
                Arguments.of("v2 length 4 GiB", v2Length(0xFFFF_FFF0L), "exceeds the limit"),
                Arguments.of("not a dict", npy(1, "[1, 2]", eight), "not a valid dict literal"),
                Arguments.of("text after the dict", npy(1, ok + " x", eight), "unexpected text after the dict"),
                Arguments.of("unterminated string", npy(1, "{'descr: '<f4'}", eight), "not a valid dict literal"),
                Arguments.of("missing shape", npy(1, "{'descr': '<f4', 'fortran_order': False}", eight), "exactly the keys"),
                Arguments.of("extra key", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", eight), "exactly the keys"),
                Arguments.of("duplicate key", npy(1, "{'descr': '<f4', 'descr': '<f4', 'shape': (2,)}", eight), "duplicate key"),
                Arguments.of("shape (2) is not a tuple", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", eight), "written (2,)"),
                Arguments.of("negative dim", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", eight), "not a valid dict literal"),
                Arguments.of("shape of strings", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ('a',)}", eight), "not a tuple of ints"),
                Arguments.of("int dtype", npy(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,)}", eight), "unsupported dtype '<i4'"),
                Arguments.of("native-order dtype", npy(1, "{'descr': '=f4', 'fortran_order': False, 'shape': (2,)}", eight), "unsupported dtype '=f4'"),
                Arguments.of("structured dtype", npy(1, "{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (2,)}", eight), "structured dtype"),
                Arguments.of("fortran_order not a bool", npy(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", eight), "not True or False"),
                Arguments.of("fortran order", npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,)}", eight), "fortran_order True"),
                Arguments.of("truncated data", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (10,)}", eight), "truncated"),
                Arguments.of("trailing bytes", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", eight), "trailing bytes"),
                Arguments.of("f8 needs more", npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", eight), "needs 16 data bytes but 8"),
                Arguments.of("overflowing shape", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776)}", eight), "too many elements"),
                Arguments.of("huge integer", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", eight), "too large"),
                Arguments.of("v3 header not UTF-8", npyRaw(3, new byte[]{'{', (byte) 0xC3, '}'}, eight), "not valid UTF-8"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedFilesAreFormatErrorsNamingTheFile(String what, byte[] bytes, String expected) throws IOException {
        Path f = dir.resolve("bad.npy");
        Files.write(f, bytes);
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> Npy.read(f), what);
        assertEquals(f, e.file());
        assertTrue(e.getMessage().endsWith(" (" + f + ")"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), what + ": " + e.getMessage());
        // The header alone is validated the same way (the zoo reads headers before any data).
        NfnFormatException h = assertThrows(NfnFormatException.class, () -> Npy.header(f), what);
        assertEquals(e.getMessage(), h.getMessage());
    }

    @Test
    void malformedNpzMembersNameTheMember() throws IOException {
        Path f = dir.resolve("bad.npz");
        try (var zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(f))) {
            zip.putNextEntry(new java.util.zip.ZipEntry("good.npy"));
            zip.write(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", new byte[8]));
            zip.putNextEntry(new java.util.zip.ZipEntry("w.npy"));
            zip.write(npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,)}", new byte[8]));
        }
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> Npy.readNpz(f));
        assertEquals("w", e.tensor());
        assertTrue(e.getMessage().endsWith(" (" + f + ": w)"), e.getMessage());

        Path notZip = dir.resolve("not.npz");
        Files.writeString(notZip, "plain text");
        e = assertThrows(NfnFormatException.class, () -> Npy.readNpz(notZip));
        assertTrue(e.getMessage().contains("not a valid .npz"), e.getMessage());
    }

    // ---- hand-built files ----

    /** A .npy file with the given header dict, padded as numpy pads it, then {@code data}. */
    static byte[] npy(int major, String dict, byte[] data) {
        int prefix = major == 1 ? 10 : 12;
        int total = (prefix + dict.length() + 1 + 63) / 64 * 64;
        String header = dict + " ".repeat(total - prefix - dict.length() - 1) + "\n";
        return npyRaw(major, header.getBytes(StandardCharsets.ISO_8859_1), data);
    }

    static byte[] npyRaw(int major, byte[] header, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        ByteBuffer len = ByteBuffer.allocate(major == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) len.putShort((short) header.length);
        else len.putInt(header.length);
        out.writeBytes(len.array());
        out.writeBytes(header);
        out.writeBytes(data);
        return out.toByteArray();
    }

    private static byte[] withVersion(byte[] b, int major) {
        b[6] = (byte) major;
        return b;
    }

    private static byte[] withMinor(byte[] b) {
        b[7] = 1;
        return b;
    }

    private static byte[] v2Length(long length) {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0}).putInt((int) length);
        return b.array();
    }
}
