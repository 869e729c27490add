/// A JSON value with object keys kept in order (so responses read like OpenAI's) and
/// duplicate keys kept as written (lookups take the last, as most readers do).
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The value of `key` in an object (the last one if the key is repeated); nil for a
    /// missing key or a value that is not an object.
    public subscript(key: String) -> JSON? {
        guard case .object(let fields) = self else { return nil }
        return fields.last { $0.0 == key }?.1
    }

    public static func int(_ v: Int) -> JSON { .number(.integer(v)) }
    /// A Float written with its own shortest digits (-0.35778722, not -0.35778722167015076).
    public static func float(_ v: Float) -> JSON { .number(.double(v.isFinite ? Double("\(v)") ?? Double(v) : -9999)) }

    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    /// A number as a Double (integers beyond ±2^53 rounded).
    public var doubleValue: Double? { if case .number(let n) = self { return n.double } else { return nil } }
    /// An integer held exactly (see `JSONNumber.int`).
    public var intValue: Int? { if case .number(let n) = self { return n.int } else { return nil } }
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: [(String, JSON)]? { if case .object(let o) = self { return o } else { return nil } }

    /// The integers of an array, or nil unless it is an array of nothing but integers.
    public var intArrayValue: [Int]? {
        let ints = arrayValue?.compactMap(\.intValue)
        return ints?.count == arrayValue?.count ? ints : nil
    }
}

/// Literals, so fixtures and tests can write JSON inline: `["vocab_size": 500, "rope_scaling": .null]`.
extension JSON: ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(.integer(value)) }
    public init(floatLiteral value: Double) { self = .number(.double(value)) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(elements) }
}
