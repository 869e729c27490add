import JSON

/// The grammar of one `type`, with that type's keywords.
extension JSONSchemaCompiler {
    mutating func typed(_ type: String, _ s: JSON, path: String) throws -> GrammarExpr {
        switch type {
        case "null": return .literal("null")
        case "boolean": return .alt([.literal("true"), .literal("false")])
        case "integer": return try integer(s, path: path)
        case "number":
            for k in ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"] where s[k] != nil {
                throw GrammarError.unsupportedKeyword(keyword: k + " (on a non-integer number)", path: path + "/" + k)
            }
            return number
        case "string": return try string(s, path: path)
        case "array": return try array(s, path: path)
        default: return try object(s, path: path)
        }
    }

    private func count(_ s: JSON, _ key: String, path: String) throws -> Int? {
        guard let v = s[key] else { return nil }
        guard let n = v.intValue, n >= 0 else {
            throw GrammarError.invalidSchema(message: "\(key) must be a non-negative integer", path: path + "/" + key)
        }
        return n
    }

    private mutating func integer(_ s: JSON, path: String) throws -> GrammarExpr {
        func bound(_ key: String, up: Bool) throws -> Int? {
            guard let v = s[key] else { return nil }
            guard let d = v.doubleValue, d.isFinite, abs(d) < 9e18 else {
                throw GrammarError.invalidSchema(message: "\(key) must be a number within ±9e18", path: path + "/" + key)
            }
            if let i = v.intValue { return i }
            return Int(up ? d.rounded(.up) : d.rounded(.down))
        }
        var lo = try bound("minimum", up: true), hi = try bound("maximum", up: false)
        if let x = try bound("exclusiveMinimum", up: false) { lo = max(lo ?? Int.min, x + 1) }
        if let x = try bound("exclusiveMaximum", up: true) { hi = min(hi ?? Int.max, x - 1) }
        if let l = lo, let h = hi, l > h { throw GrammarError.invalidSchema(message: "no integer within the bounds", path: path) }
        if lo == nil, hi == nil {
            return shared("integer") { c, _ in
                .seq([.optional(.literal("-")), .alt([.literal("0"), .seq([.range("1", "9"), .rep(.range("0", "9"), min: 0, max: c.options.maxDigits - 1)])])])
            }
        }
        return IntegerRange.expr(lo: lo, hi: hi, maxDigits: options.maxDigits)
    }

    private mutating func string(_ s: JSON, path: String) throws -> GrammarExpr {
        let minLength = try count(s, "minLength", path: path), maxLength = try count(s, "maxLength", path: path)
        if let lo = minLength, let hi = maxLength, lo > hi { throw GrammarError.invalidSchema(message: "minLength > maxLength", path: path) }
        let special = ["format", "pattern"].filter { s[$0] != nil }
        if special.count == 2 { throw GrammarError.unsupportedKeyword(keyword: "pattern (with format)", path: path + "/pattern") }
        if let key = special.first {
            if minLength != nil || maxLength != nil {
                let k = minLength != nil ? "minLength" : "maxLength"
                throw GrammarError.unsupportedKeyword(keyword: "\(k) (with \(key))", path: path + "/" + k)
            }
            guard let text = s[key]?.stringValue else { throw GrammarError.invalidSchema(message: "\(key) must be a string", path: path + "/" + key) }
            let content: GrammarExpr
            if key == "format" {
                guard let regex = StringFormats.regex[text] else { throw GrammarError.unsupportedKeyword(keyword: "format: \(text)", path: path + "/format") }
                content = try RegexParser.parse(regex, mode: .fullMatch)
            } else {
                do { content = StringFormats.jsonContent(try RegexParser.parse(text, mode: .search)) } catch let e as GrammarError {
                    throw GrammarError.invalidSchema(message: "pattern: \(e)", path: path + "/pattern")
                }
            }
            return .seq([.literal("\""), content, .literal("\"")])
        }
        return string(min: minLength ?? 0, max: maxLength ?? options.maxStringLength.map { Swift.max($0, minLength ?? 0) })
    }

    private mutating func array(_ s: JSON, path: String) throws -> GrammarExpr {
        let lo = try count(s, "minItems", path: path) ?? 0
        var hi = try count(s, "maxItems", path: path) ?? options.maxItems.map { Swift.max($0, lo) }
        var prefix: [GrammarExpr] = []
        for (i, p) in (s["prefixItems"]?.arrayValue ?? []).enumerated() { prefix.append(try schema(p, path: path + "/prefixItems/\(i)")) }
        let items = s["items"] ?? .bool(true)
        if items == .bool(false) { hi = min(hi ?? prefix.count, prefix.count) }
        if let h = hi, lo > h { throw GrammarError.invalidSchema(message: "minItems > maxItems (or items: false)", path: path) }
        let w = ws
        if hi == 0 { return .seq([.literal("["), w, w, .literal("]")]) }
        let item = items == .bool(false) ? GrammarExpr.alt([]) : try schema(items, path: path + "/items")
        let itemRule = GrammarExpr.ref(rules.add(path + "/items", item))
        let slot: (Int) -> GrammarExpr = { $0 < prefix.count ? prefix[$0] : itemRule }
        // Items after the prefix (and after the first), then the prefix's items inside out.
        let start = max(hi.map { min(prefix.count, $0) } ?? prefix.count, 1)
        var rest = GrammarExpr.empty
        if hi.map({ start < $0 }) ?? true {
            rest = .rep(.seq([.literal(","), w, itemRule]), min: max(0, lo - start), max: hi.map { $0 - start })
        }
        for j in stride(from: start - 1, through: 1, by: -1) {
            let step = GrammarExpr.seq([.literal(","), w, slot(j), rest])
            rest = j < lo ? step : .optional(step)
        }
        let body = GrammarExpr.seq([slot(0), rest])
        return .seq([.literal("["), w, lo == 0 ? .optional(body) : body, w, .literal("]")])
    }
}
