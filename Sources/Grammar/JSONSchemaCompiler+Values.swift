import JSON

/// Shared pieces: whitespace, strings, numbers, any value, and literal values.
extension JSONSchemaCompiler {
    /// A rule made once per compilation, by name.
    mutating func shared(_ name: String, _ make: (inout JSONSchemaCompiler, Int) -> GrammarExpr) -> GrammarExpr {
        if let r = named[name] { return .ref(r) }
        let r = rules.add(name)
        named[name] = r
        rules.define(r, make(&self, r))
        return .ref(r)
    }

    /// Optional whitespace: nothing, a space, or a newline and up to `maxIndent` spaces/tabs.
    var ws: GrammarExpr {
        mutating get {
            guard options.allowWhitespace else { return .empty }
            let indent = options.maxIndent
            return shared("ws") { _, _ in
                .alt([.empty, .literal(" "), .seq([.literal("\n"), .rep(.oneOf(" \t"), min: 0, max: indent)])])
            }
        }
    }

    /// One character of a JSON string's content: unescaped, or an escape.
    var stringChar: GrammarExpr {
        mutating get {
            shared("char") { _, _ in
                let hex = GrammarExpr.chars(CodePointSet([0x30...0x39, 0x41...0x46, 0x61...0x66]))
                return .alt([
                    .chars(CodePointSet([0x00...0x1F, 0x22...0x22, 0x5C...0x5C]).inverted),
                    .seq([.literal("\\"), .alt([.oneOf("\"\\/bfnrt"), .seq([.literal("u"), .rep(hex, min: 4, max: 4)])])]),
                ])
            }
        }
    }

    /// A string of `min...max` characters.
    mutating func string(min: Int, max: Int?) -> GrammarExpr {
        .seq([.literal("\""), .rep(stringChar, min: min, max: max), .literal("\"")])
    }

    /// A number: `-`? integer part, optional fraction and exponent, digits bounded.
    var number: GrammarExpr {
        mutating get {
            let d = options.maxDigits
            return shared("number") { _, _ in
                let digit = GrammarExpr.range("0", "9")
                return .seq([
                    .optional(.literal("-")),
                    .alt([.literal("0"), .seq([.range("1", "9"), .rep(digit, min: 0, max: d - 1)])]),
                    .optional(.seq([.literal("."), .rep(digit, min: 1, max: d)])),
                    .optional(.seq([.oneOf("eE"), .optional(.oneOf("+-")), .rep(digit, min: 1, max: 3)])),
                ])
            }
        }
    }

    /// Any JSON value (recursive rules: value, object, array), nested at most `maxDepth`
    /// deep and with at most `maxItems` items or members per container when bounded.
    var anyValue: GrammarExpr {
        mutating get { anyValue(depth: 0) }
    }

    /// Any JSON value at nesting `depth`: containers whose members are values at `depth + 1`;
    /// scalars only at `maxDepth`.
    private mutating func anyValue(depth: Int) -> GrammarExpr {
        let unbounded = options.maxDepth == nil
        let name = unbounded ? "value" : "value@\(depth)"
        if let r = named[name] { return .ref(r) }
        let value = rules.add(name)
        named[name] = value
        let w = ws
        let str = string(min: 0, max: options.maxStringLength)
        var alternatives: [GrammarExpr] = [str, number, .literal("true"), .literal("false"), .literal("null")]
        if unbounded || depth < options.maxDepth ?? 0 {
            let inner = unbounded ? GrammarExpr.ref(value) : anyValue(depth: depth + 1)
            let more = options.maxItems.map { $0 - 1 }
            let member = GrammarExpr.seq([str, .literal(":"), w, inner])
            let object = GrammarExpr.seq([.literal("{"), w, .optional(.seq([member, .rep(.seq([.literal(","), w, member]), min: 0, max: more)])),
                                          w, .literal("}")])
            let array = GrammarExpr.seq([.literal("["), w, .optional(.seq([inner, .rep(.seq([.literal(","), w, inner]), min: 0, max: more)])),
                                         w, .literal("]")])
            alternatives = [.ref(rules.add("object", object)), .ref(rules.add("array", array))] + alternatives
        }
        rules.define(value, .alt(alternatives))
        return .ref(value)
    }

    /// `const`/`enum` values, keeping only those of the schema's `type` (when it has one).
    mutating func filtered(_ values: [JSON], _ s: JSON, path: String) throws -> GrammarExpr {
        let types = s["type"].map { $0.stringValue.map { [$0] } ?? $0.arrayValue?.compactMap(\.stringValue) ?? [] }
        let kept = values.filter { v in types.map { $0.contains { Self.valueHasType(v, $0) } } ?? true }
        guard !kept.isEmpty else { throw GrammarError.invalidSchema(message: "no value of the allowed type", path: path) }
        return .alt(kept.map { literal($0) })
    }

    static func valueHasType(_ v: JSON, _ type: String) -> Bool {
        switch (v, type) {
        case (.null, "null"), (.bool, "boolean"), (.string, "string"), (.array, "array"), (.object, "object"), (.number, "number"): return true
        case (.number(let n), "integer"): return n.int != nil
        default: return false
        }
    }

    /// Exactly `v`, with the same whitespace freedom as other values.
    mutating func literal(_ v: JSON) -> GrammarExpr {
        switch v {
        case .array(let items):
            let w = ws
            var parts: [GrammarExpr] = [.literal("["), w]
            for (i, item) in items.enumerated() { parts += (i > 0 ? [.literal(","), w] : []) + [literal(item)] }
            return .seq(parts + [w, .literal("]")])
        case .object(let fields):
            let w = ws
            var parts: [GrammarExpr] = [.literal("{"), w]
            for (i, (k, item)) in fields.enumerated() {
                parts += (i > 0 ? [.literal(","), w] : []) + [.literal(JSON.string(k).serialized), .literal(":"), w, literal(item)]
            }
            return .seq(parts + [w, .literal("}")])
        default:
            return .literal(v.serialized)
        }
    }
}
