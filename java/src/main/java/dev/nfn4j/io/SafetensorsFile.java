package dev.nfn4j.io;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** The tensors and metadata of one safetensors file, fully read into memory. */
public final class SafetensorsFile {
    private static final int NAMES_IN_ERRORS = 10;

    private final Path path;
    private final Map<String, String> metadata;
    private final Map<String, HostTensor> tensors; // in order of data offset

    SafetensorsFile(Path path, Map<String, String> metadata, Map<String, HostTensor> tensors) {
        this.path = path;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    public Path path() {
        return path;
    }

    /** The header's {@code __metadata__}, unmodifiable; empty if there is none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names, in the order of their data offsets. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** The named tensor; a missing one is an error naming the file and the tensor. */
    public HostTensor get(String name) throws NfnFormatException {
        HostTensor t = tensors.get(name);
        if (t == null) {
            List<String> names = names();
            String some = String.join(", ", names.subList(0, Math.min(NAMES_IN_ERRORS, names.size())))
                    + (names.size() > NAMES_IN_ERRORS ? ", ..." : "");
            throw new NfnFormatException(path, name, "not in the file (it has " + names.size()
                    + " tensors: " + some + ")");
        }
        return t;
    }

    /** The named tensor, checked to have exactly {@code expectedShape}. */
    public HostTensor get(String name, int... expectedShape) throws NfnFormatException {
        HostTensor t = get(name);
        if (!Arrays.equals(t.shape(), expectedShape)) {
            throw new NfnFormatException(path, name, "expected shape " + Arrays.toString(expectedShape)
                    + " but found " + t.shapeString());
        }
        return t;
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
    }
}
