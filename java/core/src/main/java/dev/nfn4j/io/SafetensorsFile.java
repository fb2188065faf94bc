package dev.nfn4j.io;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The tensors and metadata of one safetensors file, fully read into memory. */
public final class SafetensorsFile implements TensorSource {
    private final Path path;
    private final Map<String, String> metadata;
    private final Map<String, HostTensor> tensors; // in order of data offset

    SafetensorsFile(Path path, Map<String, String> metadata, Map<String, HostTensor> tensors) {
        this.path = path;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    @Override
    public Path path() {
        return path;
    }

    /** The header's {@code __metadata__}, unmodifiable; empty if there is none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names, in the order of their data offsets. */
    @Override
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    @Override
    public HostTensor find(String name) {
        return tensors.get(name);
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
    }
}
