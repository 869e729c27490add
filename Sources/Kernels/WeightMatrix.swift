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

    public init(type: Int32, rows: Int, cols: Int, rowBytes: Int, data: UnsafeRawPointer) {
        self.type = type
        self.rows = rows
        self.cols = cols
        self.rowBytes = rowBytes
        self.data = data
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
