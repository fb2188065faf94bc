package dev.nfn4j.io;

import java.util.Arrays;

/** The safetensors element types nfn4j can read, spelled as in the file header. */
public enum DType {
    F32(4), F64(8), F16(2), BF16(2), I32(4), I64(8);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element in the file. */
    public int byteSize() {
        return byteSize;
    }

    /**
     * The dtype named {@code s} exactly as safetensors spells it ("F32", "BF16", ...).
     *
     * @throws IllegalArgumentException naming the unknown dtype and the supported ones
     */
    public static DType parse(String s) {
        for (DType d : values()) {
            if (d.name().equals(s)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unsupported dtype '" + s + "' (supported: "
                + String.join(", ", Arrays.stream(values()).map(Enum::name).toList()) + ")");
    }
}
