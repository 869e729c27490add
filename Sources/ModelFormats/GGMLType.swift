/// Tensor element types of GGML/GGUF, by their on-disk number. Quantized types store rows
/// as blocks of `blockSize` elements in `bytesPerBlock` bytes.
public enum GGMLType: UInt32, Sendable, CaseIterable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, iq4_nl = 20, iq4_xs = 23, bf16 = 30

    /// Elements per block.
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .iq4_nl: return 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_xs: return 256
        }
    }

    /// Bytes per block.
    public var bytesPerBlock: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18   // f16 d, 16 bytes of nibbles
        case .q4_1: return 20   // f16 d, f16 m, 16 bytes of nibbles
        case .q5_0: return 22   // f16 d, 4 bytes of high bits, 16 bytes of nibbles
        case .q5_1: return 24   // f16 d, f16 m, 4 bytes high bits, 16 bytes nibbles
        case .q8_0: return 34   // f16 d, 32 int8
        case .iq4_nl: return 18 // f16 d, 16 bytes of nibbles indexing a 16-value grid
        case .q2_K: return 84   // 16 bytes 4-bit scales/mins, 64 bytes 2-bit values, f16 d, f16 dmin
        case .q3_K: return 110  // 32 bytes high bits, 64 bytes low 2 bits, 12 bytes 6-bit scales, f16 d
        case .iq4_xs: return 136 // f16 d, 2 + 4 bytes of 6-bit scales, 128 bytes of grid nibbles
        case .q4_K: return 144  // f16 d, f16 dmin, 12 bytes 6-bit scales/mins, 128 bytes nibbles
        case .q5_K: return 176  // as q4_K plus 32 bytes of high bits
        case .q6_K: return 210  // 128 bytes low nibbles, 64 bytes high 2 bits, 16 int8 scales, f16 d
        }
    }

    /// "Q4_K", "BF16", …: the case name in upper case, as llama.cpp writes it.
    public var name: String { String(describing: self).uppercased() }

    /// Bytes of one row of `n` elements (`n` a multiple of `blockSize`).
    public func rowBytes(_ n: Int) -> Int { n / blockSize * bytesPerBlock }

    /// A readable name for any type number, including ones Tern does not support.
    public static func nameOf(raw: UInt32) -> String {
        if let t = GGMLType(rawValue: raw) { return t.name }
        let others: [UInt32: String] = [9: "Q8_1", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S",
                                        21: "IQ3_S", 22: "IQ2_S", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64",
                                        29: "IQ1_M", 34: "TQ1_0", 35: "TQ2_0"]
        return others[raw].map { "\($0) (\(raw))" } ?? "unknown (\(raw))"
    }
}
