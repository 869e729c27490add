/// A named tensor inside a mapped model file, used in place (never copied).
public struct GGUFTensor: @unchecked Sendable {
    public let name: String
    public let type: GGMLType
    /// Dimensions innermost first, as GGUF stores them: `shape[0]` (ne0) is the row length.
    public let shape: [Int]
    /// Byte offset of the data from the start of the file.
    public let fileOffset: Int
    public let byteCount: Int
    /// (byteCount) bytes: rows of `shape[0]` elements, each `type.rowBytes(shape[0])` bytes.
    public let data: UnsafeRawPointer

    public var elementCount: Int { shape.reduce(1, *) }
    /// Number of rows, i.e. every dimension but the first multiplied together.
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }
    public var rowLength: Int { shape[0] }
    public var rowBytes: Int { type.rowBytes(shape[0]) }

    /// Pointer to row `r` (0 ..< rowCount).
    public func row(_ r: Int) -> UnsafeRawPointer { data + r * rowBytes }
}
