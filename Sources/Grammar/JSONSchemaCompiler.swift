import JSON

/// Compiles a JSON Schema into rules of JSON text (see `JSONSchemaOptions` for the shape).
/// Every keyword is either enforced, a pure annotation, or an `unsupportedKeyword` error.
struct JSONSchemaCompiler {
    static let annotations: Set<String> = ["title", "description", "examples", "default", "$schema", "$id",
                                           "$comment", "deprecated", "readOnly", "writeOnly", "$defs", "definitions"]
    static let supported: Set<String> = ["type", "properties", "required", "additionalProperties", "items",
                                         "prefixItems", "minItems", "maxItems", "enum", "const", "anyOf", "oneOf",
                                         "allOf", "$ref", "minLength", "maxLength", "pattern", "format", "minimum",
                                         "maximum", "exclusiveMinimum", "exclusiveMaximum"]
    static let typeKeywords: [(String, Set<String>)] = [
        ("object", ["properties", "required", "additionalProperties"]),
        ("array", ["items", "prefixItems", "minItems", "maxItems"]),
        ("string", ["minLength", "maxLength", "pattern", "format"]),
        ("integer", ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]),
    ]

    let root: JSON
    let options: JSONSchemaOptions
    var rules = RuleSet()
    /// Rules already made: `$ref` targets by pointer (and depth), shared pieces by name.
    var named: [String: Int] = [:]
    /// How many times each `$ref` target is being compiled inside itself right now.
    private var refDepth: [String: Int] = [:]

    init(root: JSON, options: JSONSchemaOptions) {
        self.root = root
        self.options = options
    }

    mutating func compileRoot() throws -> Int {
        let r = rules.add("root")
        rules.define(r, try schema(root, path: ""))
        return r
    }

    /// The expression for values valid against `s`, found at JSON pointer `path`.
    mutating func schema(_ s: JSON, path: String) throws -> GrammarExpr {
        switch s {
        case .bool(true): return anyValue
        case .bool(false): throw GrammarError.invalidSchema(message: "the schema false allows no value", path: path)
        case .object(let fields):
            for (k, _) in fields where !Self.supported.contains(k) && !Self.annotations.contains(k) {
                throw GrammarError.unsupportedKeyword(keyword: k, path: path + "/" + k)
            }
            return try objectSchema(s, keys: Set(fields.map(\.0)), path: path)
        default:
            throw GrammarError.invalidSchema(message: "a schema must be an object or a boolean", path: path)
        }
    }

    private mutating func objectSchema(_ s: JSON, keys: Set<String>, path: String) throws -> GrammarExpr {
        let constraints = keys.subtracting(Self.annotations)
        for combinator in ["$ref", "anyOf", "oneOf", "allOf"] where constraints.contains(combinator) {
            if let other = constraints.subtracting([combinator]).sorted().first {
                throw GrammarError.unsupportedKeyword(keyword: other, path: path + "/" + other)
            }
            return try combination(combinator, s[combinator] ?? .null, path: path + "/" + combinator)
        }
        if let c = s["const"] { return try filtered([c], s, path: path + "/const") }
        if let e = s["enum"] {
            guard let values = e.arrayValue else { throw GrammarError.invalidSchema(message: "enum must be an array", path: path + "/enum") }
            return try filtered(values, s, path: path + "/enum")
        }
        let types = try typeList(s, keys: constraints, path: path)
        guard let types else { return anyValue }
        return .alt(try types.map { try typed($0, s, path: path) })
    }

    private mutating func combination(_ keyword: String, _ value: JSON, path: String) throws -> GrammarExpr {
        if keyword == "$ref" {
            guard let pointer = value.stringValue else { throw GrammarError.invalidSchema(message: "$ref must be a string", path: path) }
            return .ref(try refRule(pointer, path: path))
        }
        guard let list = value.arrayValue, !list.isEmpty else {
            throw GrammarError.invalidSchema(message: "\(keyword) must be a non-empty array", path: path)
        }
        if keyword == "allOf" {
            // Only the single-schema form (Pydantic's wrapper around a $ref) is an intersection we can build.
            guard list.count == 1 else { throw GrammarError.unsupportedKeyword(keyword: "allOf", path: path) }
            return try schema(list[0], path: path + "/0")
        }
        // oneOf is compiled as anyOf: exact for branches that exclude each other.
        var options: [GrammarExpr] = []
        for (i, sub) in list.enumerated() { options.append(try schema(sub, path: path + "/\(i)")) }
        return .alt(options)
    }

    /// The types a schema allows: its `type` (a name or a list), else the one its keywords
    /// imply, else nil (any value).
    private func typeList(_ s: JSON, keys: Set<String>, path: String) throws -> [String]? {
        let known = ["null", "boolean", "object", "array", "number", "string", "integer"]
        if let t = s["type"] {
            let names = t.stringValue.map { [$0] } ?? t.arrayValue?.compactMap(\.stringValue)
            guard let names, !names.isEmpty, names.count == (t.arrayValue?.count ?? 1), names.allSatisfy(known.contains) else {
                throw GrammarError.invalidSchema(message: "type must be a type name or a list of them", path: path + "/type")
            }
            return names
        }
        let implied = Self.typeKeywords.filter { !$0.1.isDisjoint(with: keys) }.map(\.0)
        return implied.isEmpty ? nil : implied
    }

    /// `$ref` targets within this document (`#`, `#/$defs/x`, any `#/…` pointer) get one
    /// rule each, made before compiling the target so recursion refers back to it. With
    /// `maxDepth`, recursion is unrolled: a target nested in itself gets a rule per depth,
    /// and none (no value) past `maxDepth`.
    private mutating func refRule(_ pointer: String, path: String) throws -> Int {
        let depth = options.maxDepth == nil ? 0 : refDepth[pointer, default: 0]
        let key = "ref:\(pointer)@\(depth)"
        if let r = named[key] { return r }
        if let limit = options.maxDepth, depth >= limit {
            let none = rules.add(pointer + "@limit", .alt([]))
            named[key] = none
            return none
        }
        guard pointer.hasPrefix("#") else {
            throw GrammarError.invalidSchema(message: "only local $ref (#/...) is supported: \(pointer)", path: path)
        }
        var target = root
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            let key = String(raw).replacing("~1", with: "/").replacing("~0", with: "~")
            if let list = target.arrayValue, let i = Int(key), list.indices.contains(i) {
                target = list[i]
            } else if let next = target[key] {
                target = next
            } else {
                throw GrammarError.invalidSchema(message: "$ref target \(pointer) not found", path: path)
            }
        }
        let r = rules.add(pointer)
        named[key] = r
        refDepth[pointer] = depth + 1
        defer { refDepth[pointer] = depth }
        rules.define(r, try schema(target, path: String(pointer.dropFirst())))
        return r
    }
}
