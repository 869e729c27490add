import Foundation

/// The `|filter`s chat templates use.
extension TemplateBuiltins {
    static func filter(_ name: String, _ v: TemplateValue, _ args: [TemplateValue], _ kwargs: [(String, TemplateValue)]) throws -> TemplateValue {
        func arg(_ i: Int, _ key: String) -> TemplateValue? {
            i < args.count ? args[i] : kwargs.first { $0.0 == key }?.1
        }
        switch name {
        case "trim": return .string(strip(v.text, Set(" \t\n\r\u{0B}\u{0C}".unicodeScalars), left: true, right: true))
        case "upper": return .string(v.text.uppercased())
        case "lower": return .string(v.text.lowercased())
        case "title": return .string(title(v.text))
        case "capitalize": return .string(capitalize(v.text))
        case "string": return .string(v.text)
        case "safe": return v
        case "e", "escape":  // markupsafe's escaping
            let escaped = v.text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&#34;")
                .replacingOccurrences(of: "'", with: "&#39;")
            return .string(escaped)
        case "length", "count":
            switch v {
            case .string(let s): return .int(s.unicodeScalars.count)
            case .array(let a): return .int(a.count)
            case .object(let o): return .int(o.count)
            case .undefined: return .int(0)
            default: throw TemplateError.runtime("\(v.typeName) has no length")
            }
        case "first": return try v.iterated().first ?? .undefined
        case "last": return try v.iterated().last ?? .undefined
        case "list": return .array(try v.iterated())
        case "reverse":
            if case .string(let s) = v { return .string(String(s.reversed())) }
            return .array(try v.iterated().reversed())
        case "join":
            let sep = arg(0, "d")?.text ?? ""
            if let attr = arg(1, "attribute") { return .string(try v.iterated().map { $0[attr.text].text }.joined(separator: sep)) }
            return .string(try v.iterated().map(\.text).joined(separator: sep))
        case "default", "d":
            let fallback = arg(0, "default_value") ?? .string("")
            let boolean = arg(1, "boolean")?.isTruthy ?? false
            return (boolean ? v.isTruthy : v.isDefined) ? v : fallback
        case "replace":
            guard args.count >= 2 else { throw TemplateError.runtime("replace needs two arguments") }
            return .string(v.text.replacingOccurrences(of: args[0].text, with: args[1].text))
        case "int":
            switch v {
            case .int: return v
            case .double(let d): return .int(Int(d))
            case .bool(let b): return .int(b ? 1 : 0)
            case .string(let s): return .int(Int(s.trimmingCharacters(in: .whitespaces)) ?? 0)
            default: return .int(0)
            }
        case "float":
            if let n = v.numeric { return .double(n) }
            return .double(Double(v.text.trimmingCharacters(in: .whitespaces)) ?? 0)
        case "abs":
            switch v { case .int(let i): return .int(abs(i)); case .double(let d): return .double(abs(d)); default: throw TemplateError.runtime("abs needs a number") }
        case "items":
            guard case .object(let o) = v else { throw TemplateError.runtime("items needs a dict") }
            return .array(o.map { .array([.string($0.0), $0.1]) })
        case "tojson":
            let indent: Int? = { if case .int(let n)? = arg(0, "indent") { return n } else { return nil } }()
            var out = ""
            try json(v, indent: indent, level: 0, into: &out)
            return .string(out)
        case "map":
            if let attr = kwargs.first(where: { $0.0 == "attribute" })?.1 { return .array(try v.iterated().map { $0[attr.text] }) }
            guard let f = args.first?.text else { throw TemplateError.runtime("map needs a filter name or attribute=") }
            return .array(try v.iterated().map { try filter(f, $0, Array(args.dropFirst()), []) })
        case "select", "reject":
            let keep = name == "select"
            return .array(try v.iterated().filter { item in
                let r = try args.first.map { try test($0.text, item, Array(args.dropFirst())) } ?? item.isTruthy
                return r == keep
            })
        case "selectattr", "rejectattr":
            guard let attr = args.first?.text else { throw TemplateError.runtime("\(name) needs an attribute") }
            let keep = name == "selectattr"
            return .array(try v.iterated().filter { item in
                let value = item[attr]
                let r = args.count > 1 ? try test(args[1].text, value, Array(args.dropFirst(2))) : value.isTruthy
                return r == keep
            })
        case "unique":
            var seen: [TemplateValue] = []
            for x in try v.iterated() where !seen.contains(where: { $0.equals(x) }) { seen.append(x) }
            return .array(seen)
        case "indent":
            let width: Int = { if case .int(let n)? = arg(0, "width") { return n } else { return 4 } }()
            let pad = String(repeating: " ", count: max(0, width))
            let lines = v.text.components(separatedBy: "\n")
            let first = arg(1, "first")?.isTruthy ?? false
            return .string(lines.enumerated().map { i, l in (i == 0 && !first) || l.isEmpty ? l : pad + l }.joined(separator: "\n"))
        case "round":
            let digits: Int = { if case .int(let n)? = arg(0, "precision") { return n } else { return 0 } }()
            let scale = pow(10.0, Double(digits))
            return .double(((v.numeric ?? 0) * scale).rounded(.toNearestOrEven) / scale)
        default:
            throw TemplateError.runtime("unknown filter '\(name)'")
        }
    }

    /// Python's `json.dumps(v, ensure_ascii=False, indent=indent)`, as Hugging Face's `tojson`.
    static func json(_ v: TemplateValue, indent: Int?, level: Int, into out: inout String) throws {
        let newline = indent.map { "\n" + String(repeating: " ", count: $0 * (level + 1)) }
        let closing = indent.map { "\n" + String(repeating: " ", count: $0 * level) } ?? ""
        let separator = indent == nil ? ", " : ","
        switch v {
        case .undefined, .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? TemplateValue.pythonFloat(d) : (d.isNaN ? "NaN" : d > 0 ? "Infinity" : "-Infinity")
        case .string(let s): jsonString(s, into: &out)
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += separator }
                out += newline ?? ""
                try json(item, indent: indent, level: level + 1, into: &out)
            }
            out += closing + "]"
        case .object(let fields):
            guard !fields.isEmpty else { out += "{}"; return }
            out += "{"
            for (i, (k, value)) in fields.enumerated() {
                if i > 0 { out += separator }
                out += newline ?? ""
                jsonString(k, into: &out)
                out += ": "
                try json(value, indent: indent, level: level + 1, into: &out)
            }
            out += closing + "}"
        case .namespace, .function: throw TemplateError.runtime("cannot serialize \(v.typeName) to JSON")
        }
    }

    static func jsonString(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        out += "\""
    }
}
