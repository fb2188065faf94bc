package dev.nfn4j.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Reads and writes safetensors files (https://huggingface.co/docs/safetensors): an 8-byte
 * little-endian header length, a JSON header, then little-endian row-major tensor data.
 */
public final class Safetensors {
    private Safetensors() {
    }

    /**
     * Reads every tensor of {@code file} into memory. F16 and BF16 become F32; I32 and I64 are
     * kept as integers. The header is validated completely before any tensor is allocated. A file
     * whose name ends in {@code .gz} is read gzip-decompressed ({@link #isFileName}).
     *
     * @throws NfnFormatException for any malformed file, naming the file and, where one is
     *     involved, the tensor
     */
    public static SafetensorsFile read(Path file) throws IOException {
        return SafetensorsReader.read(file);
    }

    /** The file name endings {@link #read} takes: {@code NAME.safetensors}, or gzipped, {@code NAME.safetensors.gz}. */
    private static final String[] EXTENSIONS = {".safetensors", ".safetensors.gz"};

    /** Whether a file name is one {@link #read} takes ({@link #EXTENSIONS}). */
    public static boolean isFileName(String name) {
        return !stem(name).equals(name);
    }

    /** The name without its {@code .safetensors} or {@code .safetensors.gz}; the name itself when it has neither. */
    public static String stem(String name) {
        for (String ext : EXTENSIONS)
            if (name.endsWith(ext)) return name.substring(0, name.length() - ext.length());
        return name;
    }

    /** Whether {@link #read} decompresses the file: its name ends in {@code .gz}. */
    static boolean isGzipped(Path file) {
        return file.getFileName() != null && file.getFileName().toString().endsWith(".gz");
    }

    /**
     * Writes {@code tensors} (each in its own dtype: F32, F64, or I32/I64 as read) atomically:
     * a temp file in the same folder, fsync, then an ATOMIC_MOVE rename over {@code file}.
     * Names and data appear in the map's iteration order.
     *
     * @param metadata string pairs for {@code __metadata__}; null or empty writes none
     */
    public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata)
            throws IOException {
        SafetensorsWriter.write(file, tensors, metadata);
    }
}
