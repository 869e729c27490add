import Foundation

/// The `|filter`s chat templates use.
extension TemplateBuiltins {
    /// A filter's arguments, each by position or keyword.
    struct FilterArguments {
        let positional: [TemplateValue]
        let keyword: [(String, TemplateValue)]

        subscript(_ i: Int, _ key: String) -> TemplateValue? { i < positional.count ? positional[i] : keyword.first { $0.0 == key }?.1 }

        /// An indentation width, at most 1,000 (Python makes a negative one empty).
        func width(_ i: Int, _ key: String) -> Int? { self[i, key]?.integer.map { min(max($0, 0), 1_000) } }
    }

    /// markupsafe's escaping, in order (`&` first).
    private static let htmlEscapes = [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\"", "&#34;"), ("'", "&#39;")]

    static func filter(_ name: String, _ v: TemplateValue, _ args: [TemplateValue], _ kwargs: [(String, TemplateValue)]) throws -> TemplateValue {
        let a = FilterArguments(positional: args, keyword: kwargs)
        if let change = caseChanges[name] { return .string(change(v.text)) }
        if let result = try sequenceFilter(name, v, a) ?? numberFilter(name, v, a) { return result }
        switch name {
        case "trim": return .string(strip(v.text, whitespace, left: true, right: true))
        case "string": return .string(v.text)
        case "safe": return v
        case "e", "escape": return .string(htmlEscapes.reduce(v.text) { $0.replacingOccurrences(of: $1.0, with: $1.1) })
        case "length", "count":
            guard ["string", "list", "dict", "undefined"].contains(v.typeName) else { throw TemplateError.runtime("\(v.typeName) has no length") }
            return .int(try v.iterated().count)
        case "default", "d":
            let fallback = a[0, "default_value"] ?? .string("")
            let boolean = a[1, "boolean"]?.isTruthy ?? false
            return (boolean ? v.isTruthy : v.isDefined) ? v : fallback
        case "replace":
            guard args.count >= 2 else { throw TemplateError.runtime("replace needs two arguments") }
            return .string(v.text.replacingOccurrences(of: args[0].text, with: args[1].text))
        case "tojson":
            return .string(try json(v, indent: a.width(0, "indent")))
        case "indent":
            let pad = String(repeating: " ", count: a.width(0, "width") ?? 4)
            let first = a[1, "first"]?.isTruthy ?? false
            let lines = v.text.components(separatedBy: "\n").enumerated()
            return .string(lines.map { i, l in (i == 0 && !first) || l.isEmpty ? l : pad + l }.joined(separator: "\n"))
        default:
            throw TemplateError.runtime("unknown filter '\(name)'")
        }
    }

    /// The filters over a list's items (nil for another name).
    private static func sequenceFilter(_ name: String, _ v: TemplateValue, _ a: FilterArguments) throws -> TemplateValue? {
        let args = a.positional
        switch name {
        case "first": return try v.iterated().first ?? .undefined
        case "last": return try v.iterated().last ?? .undefined
        case "list": return .array(try v.iterated())
        case "reverse":
            if case .string(let s) = v { return .string(String(s.reversed())) }
            return .array(try v.iterated().reversed())
        case "join":
            let sep = a[0, "d"]?.text ?? ""
            if let attr = a[1, "attribute"] { return .string(try v.iterated().map { $0[attr.text].text }.joined(separator: sep)) }
            return .string(try v.iterated().map(\.text).joined(separator: sep))
        case "items":
            guard case .object(let o) = v else { throw TemplateError.runtime("items needs a dict") }
            return .array(o.map { .array([.string($0.0), $0.1]) })
        case "map":
            if let attr = a.keyword.first(where: { $0.0 == "attribute" })?.1 { return .array(try v.iterated().map { $0[attr.text] }) }
            guard let f = args.first?.text else { throw TemplateError.runtime("map needs a filter name or attribute=") }
            return .array(try v.iterated().map { try filter(f, $0, Array(args.dropFirst()), []) })
        case "select", "reject", "selectattr", "rejectattr":
            // `select(test, args…)` tests each item, `selectattr(attribute, test, args…)` each item's attribute.
            let byAttribute = name.hasSuffix("attr")
            guard !byAttribute || !args.isEmpty else { throw TemplateError.runtime("\(name) needs an attribute") }
            let rest = byAttribute ? args.dropFirst() : args[...]
            let keep = name.hasPrefix("select")
            return .array(try v.iterated().filter { item in
                let value = byAttribute ? item[args[0].text] : item
                return try (rest.first.map { try test($0.text, value, Array(rest.dropFirst())) } ?? value.isTruthy) == keep
            })
        case "unique":
            var seen: [TemplateValue] = []
            for x in try v.iterated() where !seen.contains(where: { $0.equals(x) }) { seen.append(x) }
            return .array(seen)
        default: return nil
        }
    }

    /// The filters that make numbers (nil for another name).
    private static func numberFilter(_ name: String, _ v: TemplateValue, _ a: FilterArguments) throws -> TemplateValue? {
        switch (name, v) {
        case ("int", .double(let d)):
            guard let n = Int(exactly: d.rounded(.towardZero)) else { throw TemplateError.runtime("cannot convert \(d) to an integer") }
            return .int(n)
        case ("int", _): return .int(v.integer ?? Int(v.text.trimmingCharacters(in: .whitespaces)) ?? 0)
        case ("float", _): return .double(v.numeric ?? Double(v.text.trimmingCharacters(in: .whitespaces)) ?? 0)
        case ("abs", .int(let i)) where i != .min: return .int(abs(i))
        case ("abs", .double(let d)): return .double(abs(d))
        case ("abs", _): throw TemplateError.runtime("abs needs a number")
        case ("round", _):
            let scale = pow(10.0, Double(a[0, "precision"]?.integer ?? 0))
            return .double(((v.numeric ?? 0) * scale).rounded(.toNearestOrEven) / scale)
        default: return nil
        }
    }

    /// Python's `json.dumps(v, ensure_ascii=False, indent=indent)`, as Hugging Face's `tojson`.
    static func json(_ v: TemplateValue, indent: Int?, level: Int = 0) throws -> String {
        switch v {
        case .undefined, .none: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? TemplateValue.pythonFloat(d) : (d.isNaN ? "NaN" : d > 0 ? "Infinity" : "-Infinity")
        case .string(let s): return jsonString(s)
        case .array(let items): return jsonContainer("[", try items.map { try json($0, indent: indent, level: level + 1) }, "]", indent, level)
        case .object(let fields):
            let entries = try fields.map { jsonString($0.0) + ": " + (try json($0.1, indent: indent, level: level + 1)) }
            return jsonContainer("{", entries, "}", indent, level)
        case .namespace, .function: throw TemplateError.runtime("cannot serialize \(v.typeName) to JSON")
        }
    }

    /// A JSON array or object of its serialized entries, one entry a line when indented.
    private static func jsonContainer(_ open: String, _ entries: [String], _ close: String, _ indent: Int?, _ level: Int) -> String {
        guard !entries.isEmpty else { return open + close }
        guard let indent else { return open + entries.joined(separator: ", ") + close }
        let pad = "\n" + String(repeating: " ", count: indent * (level + 1))
        return open + pad + entries.joined(separator: "," + pad) + "\n" + String(repeating: " ", count: indent * level) + close
    }

    /// The escapes of `json.dumps` (other control characters become `\u00XX`).
    private static let jsonEscapes: [Unicode.Scalar: String] = [
        "\"": "\\\"", "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\u{08}": "\\b", "\u{0C}": "\\f",
    ]

    static func jsonString(_ s: String) -> String { "\"" + TemplateValue.escaped(s, jsonEscapes, controls: true) + "\"" }
}
