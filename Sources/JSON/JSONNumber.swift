/// A JSON number as written: an integer (no fraction, no exponent, within Int's 64 bits)
/// is kept exactly, so token ids and safetensors offsets never pass through a Double;
/// anything else is the nearest Double.
public enum JSONNumber: Equatable, Sendable, CustomStringConvertible {
    case integer(Int)
    case double(Double)

    public var double: Double {
        switch self {
        case .integer(let i): return Double(i)
        case .double(let d): return d
        }
    }

    /// The integer, exactly: an `.integer`, or a `.double` with no fraction within ±2^53
    /// (`2.0`, `1e3`); nil for anything else.
    public var int: Int? {
        switch self {
        case .integer(let i): return i
        case .double(let d): return d == d.rounded() && abs(d) <= 0x1p53 ? Int(d) : nil
        }
    }

    /// Equal values are equal however they were written: `2` == `2.0`.
    public static func == (a: JSONNumber, b: JSONNumber) -> Bool {
        switch (a, b) {
        case (.integer(let x), .integer(let y)): return x == y
        case (.integer(let i), .double(let d)), (.double(let d), .integer(let i)): return Double(exactly: i) == d
        case (.double(let x), .double(let y)): return x == y
        }
    }

    /// The JSON text: integers in full; a Double without fraction below 10^15 as an integer,
    /// else Swift's shortest round-trip digits; non-finite values (which JSON lacks) as null.
    public var description: String {
        switch self {
        case .integer(let i): return String(i)
        case .double(let d):
            if !d.isFinite { return "null" }
            if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
            return "\(d)"
        }
    }
}
