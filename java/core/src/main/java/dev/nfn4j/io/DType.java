package dev.nfn4j.io;

import java.util.Arrays;

/** The safetensors element types nfn4j can read, spelled as in the file header. */
public enum DType {
    /** 32-bit IEEE float. */
    F32(4),
    /** 64-bit IEEE float. */
    F64(8),
    /** 16-bit IEEE half float. */
    F16(2),
    /** bfloat16: a float's upper 16 bits. */
    BF16(2),
    /** 32-bit signed integer. */
    I32(4),
    /** 64-bit signed integer. */
    I64(8);

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
