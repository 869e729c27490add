import CKernels

/// A weight matrix as the model file stores it: `rows` output features, each a row of
/// `cols` input features encoded in GGML type `type` (`rowBytes` bytes per row), used in place.
public struct WeightMatrix: @unchecked Sendable {
    /// GGML type number (see `CKernels`' TERN_* constants).
    public let type: Int32
    public let rows: Int
    public let cols: Int
    public let rowBytes: Int
    /// (rows, rowBytes) bytes, typically inside a memory-mapped model file.
    public let data: UnsafeRawPointer
    /// Q4_1/Q5_0/Q8_0/Q4_K/Q6_K: the interleaved copy the AVX-512 kernels read (see `PackedWeights`).
    public let packed: PackedWeights?

    public init(type: Int32, rows: Int, cols: Int, rowBytes: Int, data: UnsafeRawPointer) {
        self.type = type
        self.rows = rows
        self.cols = cols
        self.rowBytes = rowBytes
        self.data = data
        packed = [TERN_Q4_1, TERN_Q5_0, TERN_Q8_0, TERN_Q4_K, TERN_Q6_K].contains(Int(type)) ? PackedWeights() : nil
    }

    /// Dequantizes row `r` into `out` (cols floats).
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        _ = tern_dequantize(type, data + r * rowBytes, out, Int64(cols))
    }

    /// Dequantizes rows [r0, r1) into `out` ((r1 - r0), cols) floats.
    public func dequantizeRows(_ r0: Int, _ r1: Int, into out: UnsafeMutablePointer<Float>) {
        _ = tern_dequantize(type, data + r0 * rowBytes, out, Int64((r1 - r0) * cols))
    }
}
