/// A typed GGUF array; nested arrays are arrays of `GGUFArray`.
public indirect enum GGUFArray: Sendable, Equatable {
    case uint8([UInt8]), int8([Int8]), uint16([UInt16]), int16([Int16]), uint32([UInt32]), int32([Int32])
    case uint64([UInt64]), int64([Int64]), float32([Float]), float64([Double]), bool([Bool]), string([String])
    case array([GGUFArray])

    /// Elements in the array (every case holds one Swift array).
    public var count: Int { (Mirror(reflecting: self).children.first?.value as? any Collection)?.count ?? 0 }

    public var strings: [String]? { if case .string(let a) = self { return a }; return nil }

    /// Integer elements as `Int` (nil for non-integer arrays or values that do not fit).
    public var ints: [Int]? {
        switch self {
        case .uint8(let a): return a.map(Int.init)
        case .int8(let a): return a.map(Int.init)
        case .uint16(let a): return a.map(Int.init)
        case .int16(let a): return a.map(Int.init)
        case .uint32(let a): return a.map(Int.init)
        case .int32(let a): return a.map(Int.init)
        case .int64(let a): return a.map(Int.init)
        case .uint64(let a): return a.allSatisfy { $0 <= Int.max } ? a.map { Int($0) } : nil
        default: return nil
        }
    }

    public var floats: [Float]? {
        switch self {
        case .float32(let a): return a
        case .float64(let a): return a.map(Float.init)
        default: return ints.map { $0.map(Float.init) }
        }
    }
}
