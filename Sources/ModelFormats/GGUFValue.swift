/// One metadata value of a GGUF file. Arrays keep their element type so that large ones
/// (a 262k-entry vocabulary, its scores) are stored as plain Swift arrays.
public indirect enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    case array(GGUFArray)

    /// Any integer value that fits in `Int`.
    public var int: Int? { (payload as? any BinaryInteger).flatMap { Int(exactly: $0) } }

    /// Any numeric value as a Double.
    public var double: Double? { (payload as? any BinaryFloatingPoint).map { Double($0) } ?? int.map(Double.init) }

    /// The case's associated value (metadata is read a few times at load, never per token).
    private var payload: Any? { Mirror(reflecting: self).children.first?.value }

    public var bool: Bool? { if case .bool(let v) = self { return v }; return nil }
    public var string: String? { if case .string(let v) = self { return v }; return nil }
    public var array: GGUFArray? { if case .array(let v) = self { return v }; return nil }
}
