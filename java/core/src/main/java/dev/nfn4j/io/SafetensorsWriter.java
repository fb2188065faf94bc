package dev.nfn4j.io;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/** Writes safetensors files atomically (through {@link AtomicFile}). */
final class SafetensorsWriter {
    private SafetensorsWriter() {
    }

    static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata) throws IOException {
        byte[] header = header(tensors, metadata); // validates the arguments before touching the disk
        Path target = file.toAbsolutePath();
        AtomicFile.write(target, out -> {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            TensorCodec.writeFully(out, length);
            TensorCodec.writeFully(out, ByteBuffer.wrap(header));
            TensorCodec codec = new TensorCodec(target);
            for (HostTensor t : tensors.values()) codec.write(out, t);
        });
    }

    /** The JSON header, space-padded so the data section starts 8-byte aligned (as the reference writer does). */
    private static byte[] header(Map<String, HostTensor> tensors, Map<String, String> metadata) throws IOException {
        Objects.requireNonNull(tensors, "tensors");
        ObjectNode root = HeaderParser.MAPPER.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = root.putObject(HeaderParser.METADATA_KEY);
            metadata.forEach((k, v) -> meta.put(Objects.requireNonNull(k, "metadata key"),
                    Objects.requireNonNull(v, () -> "metadata value of '" + k + "'")));
        }
        long offset = 0;
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            String name = Objects.requireNonNull(e.getKey(), "tensor name");
            HostTensor t = Objects.requireNonNull(e.getValue(), () -> "tensor '" + name + "'");
            if (name.equals(HeaderParser.METADATA_KEY)) {
                throw new IllegalArgumentException("'" + name + "' is reserved and cannot name a tensor");
            }
            ObjectNode entry = root.putObject(name);
            entry.put("dtype", t.dtype().name());
            ArrayNode shape = entry.putArray("shape");
            Arrays.stream(t.shape()).forEach(shape::add);
            long end = offset + t.numel() * t.dtype().byteSize();
            entry.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = HeaderParser.MAPPER.writeValueAsBytes(root);
        byte[] padded = Arrays.copyOf(json, (json.length + 7) / 8 * 8);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        return padded;
    }

    /** Makes the rename itself durable. Best effort: not every platform can open a directory. */
}
