package dev.nfn4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SafetensorsTest {
    @TempDir
    Path dir;

    // ---- round trips ----

    @Test
    void roundTripsF32AndF64WithMetadataAndOddShapes() throws IOException {
        float[] odd = new float[21];
        for (int i = 0; i < odd.length; i++) {
            odd[i] = i * 0.25f - 2;
        }
        odd[3] = Float.NaN;
        odd[4] = -0.0f;
        odd[5] = Float.NEGATIVE_INFINITY;
        odd[6] = Float.MIN_VALUE;
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("scalar", HostTensor.f32(new int[0], new float[] {3.5f}));
        tensors.put("empty", HostTensor.f32(new int[] {2, 0, 3}, new float[0]));
        tensors.put("odd", HostTensor.f32(new int[] {1, 3, 7}, odd));
        tensors.put("d", HostTensor.f64(new int[] {2, 3}, new double[] {Math.PI, -1e300, 0, 1, Double.MIN_VALUE, -7}));
        tensors.put("d_scalar", HostTensor.f64(new int[0], new double[] {Math.E}));
        Map<String, String> meta = Map.of("format", "nfn4j/1", "note", "ünïcode ✓");
        Path file = dir.resolve("rt.safetensors");

        Safetensors.write(file, tensors, meta);
        SafetensorsFile f = Safetensors.read(file);

        assertEquals(file, f.path());
        assertEquals(meta, f.metadata());
        assertEquals(List.of("scalar", "empty", "odd", "d", "d_scalar"), f.names());
        for (var e : tensors.entrySet()) {
            HostTensor got = f.get(e.getKey(), e.getValue().shape());
            assertEquals(e.getValue().dtype(), got.dtype(), e.getKey());
            assertEquals(e.getValue().numel(), got.numel(), e.getKey());
            if (got.dtype() == DType.F32) {
                assertArrayEquals(e.getValue().toFloats(), got.toFloats(), e.getKey());
            } else {
                assertArrayEquals(e.getValue().toDoubles(), got.toDoubles(), e.getKey());
            }
        }
        assertEquals("[]", f.get("scalar").shapeString());
        assertEquals("[2, 0, 3]", f.get("empty").shapeString());
        assertEquals(0, f.get("empty").numel());
        assertEquals(1, f.get("d_scalar").numel());
        // The reference writer pads the header so the data starts 8-byte aligned.
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLength) % 8);
    }

    /** A gzipped file ({@code NAME.safetensors.gz}) reads as the file it compresses; the result and errors name the .gz file. */
    @Test
    void readsGzippedFilesAndNamesThemInErrors() throws IOException {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("w", HostTensor.f32(new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        tensors.put("g", HostTensor.f64(new int[] {3}, new double[] {Math.PI, -1e300, 0}));
        Path plain = dir.resolve("a.safetensors"), gz = dir.resolve("a.safetensors.gz");
        Safetensors.write(plain, tensors, Map.of("k", "v"));
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
            Files.copy(plain, out);
        }
        SafetensorsFile f = Safetensors.read(gz);
        assertEquals(gz, f.path());
        assertEquals(Map.of("k", "v"), f.metadata());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, f.get("w", new int[] {2, 3}).toFloats());
        assertArrayEquals(new double[] {Math.PI, -1e300, 0}, f.get("g", new int[] {3}).toDoubles());
        assertTrue(Safetensors.isFileName("a.safetensors.gz") && Safetensors.isFileName("a.safetensors"));
        assertFalse(Safetensors.isFileName("a.npz") || Safetensors.isFileName("a.gz"));
        assertEquals("a", Safetensors.stem("a.safetensors.gz"));
        assertEquals("a", Safetensors.stem("a.safetensors"));
        assertEquals("a.npz", Safetensors.stem("a.npz"));

        byte[] whole = Files.readAllBytes(gz);
        Path truncated = dir.resolve("cut.safetensors.gz"), notGzip = dir.resolve("plain.safetensors.gz");
        Files.write(truncated, java.util.Arrays.copyOf(whole, whole.length / 2));
        Files.copy(plain, notGzip);
        for (Path bad : new Path[] {truncated, notGzip}) {
            NfnFormatException e = assertThrows(NfnFormatException.class, () -> Safetensors.read(bad));
            assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains("not a complete gzip file"), e.getMessage());
        }
        // a complete gzip of something that is not safetensors: the reader's own error, naming the .gz file
        Path junk = dir.resolve("junk.safetensors.gz");
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(junk))) {
            out.write(new byte[] {1, 2, 3});
        }
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> Safetensors.read(junk));
        assertTrue(e.getMessage().contains(junk.toString()) && e.getMessage().contains("too few for the 8-byte header length"), e.getMessage());
    }

    @Test
    void roundTripsTensorsLargerThanOneChunk() throws IOException {
        float[] f = new float[700_001];
        double[] d = new double[300_007];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) Math.sin(i);
        }
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.cos(i);
        }
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("f", HostTensor.f32(new int[] {f.length}, f));
        tensors.put("d", HostTensor.f64(new int[] {1, d.length}, d));
        Path file = dir.resolve("big.safetensors");
        Safetensors.write(file, tensors, null);

        SafetensorsFile r = Safetensors.read(file);
        assertTrue(r.metadata().isEmpty());
        assertArrayEquals(f, r.get("f").toFloats());
        assertArrayEquals(d, r.get("d", 1, d.length).toDoubles());
    }

    @Test
    void convertsBetweenFloatAndDouble() {
        HostTensor t = HostTensor.f64(new int[] {2}, new double[] {0.1, -3});
        assertArrayEquals(new float[] {0.1f, -3f}, t.toFloats());
        assertArrayEquals(new double[] {(double) 0.5f, 2}, HostTensor.f32(new int[] {2}, new float[] {0.5f, 2}).toDoubles());
        assertThrows(IllegalArgumentException.class, () -> HostTensor.f32(new int[] {2, 3}, new float[5]));
        assertThrows(IllegalArgumentException.class, () -> HostTensor.f32(new int[] {-1}, new float[0]));
        assertThrows(IllegalArgumentException.class, () -> HostTensor.f32(new int[] {65536, 65536, 0, 1}, new float[1]));
        HostTensor.f32(new int[] {65536, 65536, 0}, new float[0]); // a zero dim makes any shape empty
    }

    // ---- hand-built files in dtypes the writer does not produce ----

    @Test
    void readsF16IncludingSubnormalsInfinitiesAndNan() throws IOException {
        short[] halves = {0x3C00, (short) 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x7C00, (short) 0xFC00, 0x7E00,
            (short) 0x8000, 0x3555};
        float[] expected = {1f, -2f, 65504f, 0x1p-24f, 1023 * 0x1p-24f, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NaN, -0.0f, 0.33325195f};
        ByteBuffer data = le(halves.length * 2);
        for (short h : halves) {
            data.putShort(h);
        }
        Path file = rawFile("f16.safetensors",
                "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,5],\"data_offsets\":[0,20]}}", data.array());
        HostTensor t = Safetensors.read(file).get("h", 2, 5);
        assertEquals(DType.F32, t.dtype());
        assertArrayEquals(expected, t.toFloats());
    }

    @Test
    void readsBf16AsTheUpperHalfOfAFloat() throws IOException {
        short[] b = {0x3F80, (short) 0xC000, 0x4049, 0x7F80, 0x0001, (short) 0xFF80};
        float[] expected = {1f, -2f, 3.140625f, Float.POSITIVE_INFINITY, Float.intBitsToFloat(0x00010000),
            Float.NEGATIVE_INFINITY};
        ByteBuffer data = le(b.length * 2);
        for (short s : b) {
            data.putShort(s);
        }
        Path file = rawFile("bf16.safetensors",
                "{\"b\":{\"dtype\":\"BF16\",\"shape\":[6],\"data_offsets\":[0,12]}}", data.array());
        HostTensor t = Safetensors.read(file).get("b");
        assertEquals(DType.F32, t.dtype());
        assertArrayEquals(expected, t.toFloats());
    }

    @Test
    void readsI32AndI64() throws IOException {
        ByteBuffer data = le(16 + 24);
        data.putInt(1).putInt(-1).putInt(Integer.MAX_VALUE).putInt(Integer.MIN_VALUE);
        data.putLong(-5).putLong(1L << 40).putLong(Long.MAX_VALUE);
        Path file = rawFile("ints.safetensors", "{\"__metadata__\":{\"k\":\"v\"},"
                + "\"i\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"l\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[16,40]}}", data.array());
        SafetensorsFile f = Safetensors.read(file);
        assertEquals(Map.of("k", "v"), f.metadata());
        HostTensor i = f.get("i", 2, 2);
        HostTensor l = f.get("l", 3);
        assertEquals(DType.I32, i.dtype());
        assertEquals(DType.I64, l.dtype());
        assertArrayEquals(new long[] {1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}, i.toLongs());
        assertArrayEquals(new double[] {1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}, i.toDoubles());
        assertArrayEquals(new float[] {-5, 0x1p40f, 0x1p63f}, l.toFloats());
        assertArrayEquals(new long[] {-5, 1L << 40, Long.MAX_VALUE}, l.toLongs());
        assertThrows(IllegalStateException.class, () -> HostTensor.f32(new int[0], new float[1]).toLongs());

        // Integer tensors as read can be written back unchanged.
        Path copy = dir.resolve("ints-copy.safetensors");
        Safetensors.write(copy, Map.of("i", i), f.metadata());
        assertArrayEquals(i.toLongs(), Safetensors.read(copy).get("i").toLongs());
    }

    @Test
    void namesFollowDataOffsetsNotHeaderOrder() throws IOException {
        Path file = rawFile("order.safetensors", "{"
                + "\"second\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                + "\"first\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[8]);
        assertEquals(List.of("first", "second"), Safetensors.read(file).names());
    }

    // ---- lookups ----

    @Test
    void missingTensorAndWrongShapeNameFileAndTensor() throws IOException {
        Path file = dir.resolve("lookup.safetensors");
        Safetensors.write(file, Map.of("w", HostTensor.f32(new int[] {2, 3}, new float[6])), Map.of());
        SafetensorsFile f = Safetensors.read(file);
        assertTrue(f.has("w"));
        assertFalse(f.has("nope"));

        NfnFormatException missing = assertThrows(NfnFormatException.class, () -> f.get("nope"));
        assertTrue(missing.getMessage().endsWith(" (" + file + ": nope)"), missing.getMessage());
        assertEquals("nope", missing.tensor());

        NfnFormatException shape = assertThrows(NfnFormatException.class, () -> f.get("w", 3, 2));
        assertTrue(shape.getMessage().endsWith(" (" + file + ": w)") && shape.getMessage().contains("[3, 2]")
                && shape.getMessage().contains("[2, 3]"), shape.getMessage());
    }

    // ---- malformed files ----

    /** Header JSON, data length, the tensor the message must name (null: none), a message fragment. */
    static Stream<Arguments> malformedHeaders() {
        String ok = "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]";
        return Stream.of(
                Arguments.of("not json at all", 0, null, "not valid JSON"),
                Arguments.of("{\"a\":{" + ok + "}} trailing", 8, null, "not valid JSON"),
                Arguments.of("[1, 2]", 0, null, "not a JSON object"),
                Arguments.of("{\"a\":{" + ok + "},\"a\":{" + ok + "}}", 8, null, "Duplicate"),
                Arguments.of("{\"a\":[1]}", 0, "a", "not a JSON object"),
                Arguments.of("{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "a", "'F33'"),
                Arguments.of("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2, "a", "'U8'"),
                Arguments.of("{\"a\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "a", "'dtype'"),
                Arguments.of("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "a", "'dtype'"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", 8, "a", "'shape'"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "a", "'shape'"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8, "a", "'shape'"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "a", "negative"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,8]}}", 8, "a", "negative"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}",
                        8, "a", "64-bit"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296],\"data_offsets\":[0,8]}}", 8, "a", "Java int"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],"
                        + "\"data_offsets\":[0,8]}}", 8, "a", "64 bits"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647],\"data_offsets\":[0,8589934588]}}",
                        8, "a", "Java array"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "a", "'data_offsets'"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,16]}}", 16, "a", "'data_offsets'"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8, "a", "negative"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "a", "end before"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 12, "a", "needs 8"),
                Arguments.of("{\"a\":{\"dtype\":\"F64\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", 24, "a", "needs 48"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 8, "a", "data section"),
                Arguments.of("{\"a\":{" + ok + "}}", 7, "a", "data section"),
                Arguments.of("{\"a\":{" + ok + "},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                        12, "b", "overlap"),
                Arguments.of("{\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},\"a\":{" + ok + "}}",
                        8, "a", "overlap"),
                Arguments.of("{\"__metadata__\":{\"k\":1}}", 0, null, "not a string"),
                Arguments.of("{\"__metadata__\":[\"k\"]}", 0, null, "__metadata__"));
    }

    @ParameterizedTest(name = "[{index}] {3}: {0}")
    @MethodSource("malformedHeaders")
    void rejectsMalformedHeaders(String header, int dataLength, String tensor, String fragment) throws IOException {
        Path file = rawFile("bad.safetensors", header, new byte[dataLength]);
        NfnFormatException e = assertBad(file, tensor);
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void rejectsFilesTooShortForTheLengthField() throws IOException {
        assertBad(write("empty.safetensors", new byte[0]), null);
        assertBad(write("seven.safetensors", new byte[7]), null);
    }

    @Test
    void rejectsAHeaderLengthBeyondTheFile() throws IOException {
        byte[] json = "{}".getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = le(8 + json.length).putLong(json.length + 1).put(json);
        assertBad(write("long.safetensors", b.array()), null);
        // A length with the top bit set must not turn negative and slip through.
        ByteBuffer neg = le(8 + json.length).putLong(-1L).put(json);
        assertBad(write("neg.safetensors", neg.array()), null);
    }

    @Test
    void rejectsAHeaderLongerThanTheLimit() throws IOException {
        Path file = dir.resolve("huge.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(110_000_000L); // sparse: costs no disk
            raf.write(le(8).putLong(100_000_001L).array());
        }
        NfnFormatException e = assertBad(file, null);
        assertTrue(e.getMessage().contains("limit"), e.getMessage());
    }

    @Test
    void rejectsAHeaderThatIsNotUtf8() throws IOException {
        byte[] json = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        ByteBuffer b = le(8 + json.length).putLong(json.length).put(json);
        NfnFormatException e = assertBad(write("latin.safetensors", b.array()), null);
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }

    @Test
    void readsAnEmptyFileWithPaddedHeader() throws IOException {
        SafetensorsFile f = Safetensors.read(rawFile("none.safetensors", "{}      ", new byte[0]));
        assertTrue(f.names().isEmpty());
        assertTrue(f.metadata().isEmpty());
    }

    // ---- atomic write ----

    @Test
    void writeReplacesAnExistingFileAndLeavesNoTempFile() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        Safetensors.write(file, Map.of("w", HostTensor.f32(new int[] {2}, new float[] {1, 2})), Map.of("step", "1"));
        assertEquals(List.of(file), listDir());

        Safetensors.write(file, Map.of("v", HostTensor.f64(new int[] {1}, new double[] {9})), Map.of("step", "2"));
        assertEquals(List.of(file), listDir());
        SafetensorsFile f = Safetensors.read(file);
        assertEquals(List.of("v"), f.names());
        assertEquals(Map.of("step", "2"), f.metadata());
        assertArrayEquals(new double[] {9}, f.get("v").toDoubles());
    }

    @Test
    void aFailedWriteLeavesNoTempFile() throws IOException {
        Path target = dir.resolve("occupied");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep"), "x"); // a non-empty directory cannot be renamed over
        assertThrows(IOException.class,
                () -> Safetensors.write(target, Map.of("w", HostTensor.f32(new int[] {1}, new float[1])), null));
        assertEquals(List.of(target), listDir());
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(dir.resolve("x.safetensors"),
                Map.of("__metadata__", HostTensor.f32(new int[] {1}, new float[1])), null));
        assertEquals(List.of(target), listDir());
    }

    // ---- a real fixture from the Python reference ----

    @Test
    void readsTheNpMlpConformanceFixture() throws IOException {
        Path file = dev.nfn4j.conformance.ConformanceFixtures.nfnFile("np_mlp.safetensors");
        Assumptions.assumeTrue(Files.isRegularFile(file), "conformance fixture absent: " + file);
        SafetensorsFile f = Safetensors.read(file);
        HostTensor in = f.get("input.weight.0", 2, 2, 7, 5);
        assertEquals(DType.F32, in.dtype());
        assertEquals(2 * 2 * 7 * 5, in.toFloats().length);
        assertEquals(DType.F64, f.get("output.weight.0").dtype());
        assertEquals("np_mlp", f.metadata().get("case"));
    }

    // ---- helpers ----

    /** Reads {@code file}, expecting a format error that names the file and, if given, the tensor. */
    private static NfnFormatException assertBad(Path file, String tensor) {
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> Safetensors.read(file));
        assertTrue(e.getMessage().contains(" (" + file), e.getMessage());
        assertTrue(e.getMessage().endsWith(")"), e.getMessage());
        if (tensor != null) {
            assertTrue(e.getMessage().endsWith(" (" + file + ": " + tensor + ")"), e.getMessage());
            assertEquals(tensor, e.tensor());
        }
        return e;
    }

    private Path rawFile(String name, String headerJson, byte[] data) throws IOException {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        return write(name, le(8 + h.length + data.length).putLong(h.length).put(h).put(data).array());
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private List<Path> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }
}
