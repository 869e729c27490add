/// A value inside a template, with Python's semantics where Jinja borrows them.
public indirect enum TemplateValue: Sendable {
    case undefined
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([TemplateValue])
    /// Insertion-ordered mapping with string keys.
    case object([(String, TemplateValue)])
    /// A mutable attribute bag made by `namespace()`.
    case namespace(Namespace)
    case function(Function)

    public final class Namespace: @unchecked Sendable {
        var fields: [(String, TemplateValue)]
        init(_ fields: [(String, TemplateValue)]) { self.fields = fields }
    }

    public struct Function: @unchecked Sendable {
        let call: ([TemplateValue], [(String, TemplateValue)]) throws -> TemplateValue
    }

    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool, .int, .double: return numeric != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        case .namespace, .function: return true
        }
    }

    var isDefined: Bool { if case .undefined = self { return false } else { return true } }

    /// What `{{ value }}` prints (Python's `str`).
    var text: String {
        switch self {
        case .undefined: return ""
        case .string(let s): return s
        default: return repr
        }
    }

    /// Python's `repr`, used inside printed containers.
    var repr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return TemplateValue.pythonFloat(d)
        case .string(let s):
            let q: Unicode.Scalar = s.contains("'") && !s.contains("\"") ? "\"" : "'"
            return "\(q)" + TemplateValue.escaped(s, ["\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", q: "\\\(q)"]) + "\(q)"
        case .array(let a): return "[" + a.map(\.repr).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.map { "'\($0.0)': \($0.1.repr)" }.joined(separator: ", ") + "}"
        case .namespace: return "<Namespace>"
        case .function: return "<function>"
        }
    }

    /// `s` with the scalars `escapes` names replaced, and when `controls`, the other control characters as `\u00XX`.
    static func escaped(_ s: String, _ escapes: [Unicode.Scalar: String], controls: Bool = false) -> String {
        var out = ""
        for u in s.unicodeScalars {
            if let e = escapes[u] {
                out += e
            } else if controls && u.value < 0x20 {
                out += String(format: "\\u%04x", u.value)
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == d.rounded(), abs(d) < 1e16 { return String(format: "%.1f", d) }
        return "\(d)"
    }

    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "none"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "string"
        case .array: return "list"
        case .object: return "dict"
        case .namespace: return "namespace"
        case .function: return "function"
        }
    }

    /// Python equality (1 == 1.0, True == 1).
    func equals(_ other: TemplateValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.equals($1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { kv in b.contains { $0.0 == kv.0 && $0.1.equals(kv.1) } }
        default:
            if let x = numeric, let y = other.numeric { return x == y }
            return false
        }
    }

    /// An int's or a bool's integer (Python's bools are ints).
    var integer: Int? {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    var numeric: Double? {
        if case .double(let d) = self { return d }
        return integer.map(Double.init)
    }

    subscript(key: String) -> TemplateValue {
        switch self {
        case .object(let o): return o.last { $0.0 == key }?.1 ?? .undefined
        case .namespace(let n): return n.fields.last { $0.0 == key }?.1 ?? .undefined
        default: return .undefined
        }
    }

    /// The items a `for` loop walks (dicts: their keys).
    func iterated() throws -> [TemplateValue] {
        switch self {
        case .array(let a): return a
        case .object(let o): return o.map { .string($0.0) }
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined, .none: return []
        default: throw TemplateError.runtime("\(typeName) is not iterable")
        }
    }
}
