package dev.nfn4j.io;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Named tensors read from one file (a safetensors file, an {@code .npz} archive): what the
 * readers of weight-space batches and state dicts need, whatever the container. Errors name the
 * file and the tensor.
 */
public interface TensorSource {
    /** How many tensor names an error message lists at most. */
    int NAMES_IN_ERRORS = 10;

    /** The file the tensors come from, for error messages. */
    Path path();

    /** Tensor names, in the file's order. */
    List<String> names();

    /** The named tensor, or null when the file has none of that name. */
    HostTensor find(String name);

    /** Whether a tensor of that name is there. */
    default boolean has(String name) {
        return find(name) != null;
    }

    /** The named tensor; a missing one is an error naming the file, the tensor and some that are there. */
    default HostTensor get(String name) throws NfnFormatException {
        HostTensor t = find(name);
        if (t == null) {
            List<String> names = names();
            String some = String.join(", ", names.subList(0, Math.min(NAMES_IN_ERRORS, names.size())))
                    + (names.size() > NAMES_IN_ERRORS ? ", ..." : "");
            throw new NfnFormatException(path(), name, "not in the file (it has " + names.size() + " tensors: " + some + ")");
        }
        return t;
    }

    /** The named tensor, checked to have exactly {@code expectedShape}. */
    default HostTensor get(String name, int... expectedShape) throws NfnFormatException {
        HostTensor t = get(name);
        if (!Arrays.equals(t.shape(), expectedShape))
            throw new NfnFormatException(path(), name, "expected shape " + Arrays.toString(expectedShape) + " but found " + t.shapeString());
        return t;
    }

    /** Tensors already in memory (e.g. from {@link Npy#readNpz}), in the map's order. */
    static TensorSource of(Path path, Map<String, HostTensor> tensors) {
        List<String> names = List.copyOf(tensors.keySet());
        return new TensorSource() {
            @Override
            public Path path() {
                return path;
            }

            @Override
            public List<String> names() {
                return names;
            }

            @Override
            public HostTensor find(String name) {
                return tensors.get(name);
            }
        };
    }
}
