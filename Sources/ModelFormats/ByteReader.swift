/// A bounds-checked little-endian cursor over a byte buffer. Every read checks that the
/// bytes exist and throws `.truncated` otherwise.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func need(_ n: Int, _ what: String) throws {
        guard n >= 0, n <= remaining else { throw ModelFormatError.truncated(at: offset, need: n, what: what) }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        try need(MemoryLayout<T>.size, what)
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func readFloat(_ what: String) throws -> Float { Float(bitPattern: try read(UInt32.self, what)) }
    mutating func readDouble(_ what: String) throws -> Double { Double(bitPattern: try read(UInt64.self, what)) }

    /// A GGUF string: u64 length, then that many UTF-8 bytes (not NUL-terminated).
    mutating func readString(_ what: String) throws -> String {
        let start = offset
        let n = Int(clamping: try read(UInt64.self, what))
        try need(n, what)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + n])
        offset += n
        guard let s = String(validating: slice, as: UTF8.self) else { throw ModelFormatError.invalidString(at: start) }
        return s
    }
}
