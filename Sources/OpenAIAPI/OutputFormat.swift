import Grammar
import JSON

/// What a request asks its generated text to match, read from whichever field the client's
/// dialect uses: OpenAI's `response_format`, vLLM's `structured_outputs` (and its older
/// `guided_*` fields), llama.cpp's `grammar` and `json_schema`. At most one may be given.
struct OutputFormat: Hashable, Sendable {
    enum Kind: Hashable, Sendable {
        /// JSON validating against the schema (serialized, so equal schemas share a grammar).
        case jsonSchema(String)
        /// Any JSON object.
        case jsonObject
        case regex(String)
        case choice([String])
        /// GBNF text (llama.cpp's grammar format).
        case gbnf(String)
    }

    let kind: Kind
    /// The request field it came from (for 400s naming it).
    let param: String

    /// The format `f` asks for; nil for free text.
    static func parse(_ f: RequestFields) throws -> OutputFormat? {
        var found: [OutputFormat] = []
        if let r = f["response_format"] { try responseFormat(r).map { found.append($0) } }
        if let s = f["structured_outputs"] { found.append(try structured(s, param: "structured_outputs")) }
        let legacy: [(String, String)] = [("guided_json", "json"), ("guided_regex", "regex"), ("guided_choice", "choice"),
                                          ("guided_grammar", "grammar")]
        for (field, key) in legacy {
            if let v = f[field] { found.append(try structured(.object([(key, v)]), param: field)) }
        }
        if let g = f["grammar"] {
            guard let text = g.stringValue else { throw APIError.invalid("'grammar' must be a string of GBNF rules", param: "grammar") }
            found.append(OutputFormat(kind: .gbnf(text), param: "grammar"))
        }
        if let s = f["json_schema"] { found.append(OutputFormat(kind: try schemaKind(s, param: "json_schema"), param: "json_schema")) }
        guard found.count <= 1 else {
            throw APIError.invalid("only one of \(found.map { "'\($0.param)'" }.joined(separator: ", ")) may constrain the output",
                                   param: found[1].param)
        }
        return found.first
    }

    /// OpenAI's `response_format`: `text`, `json_object`, or `json_schema` with `{name, schema, strict}`.
    private static func responseFormat(_ v: JSON) throws -> OutputFormat? {
        let param = "response_format"
        guard case .object = v, let type = v["type"]?.stringValue else {
            throw APIError.invalid("'response_format' must be an object with a 'type'", param: param)
        }
        switch type {
        case "text": return nil
        case "json_object": return OutputFormat(kind: .jsonObject, param: param)
        case "json_schema":
            guard let spec = v["json_schema"], case .object = spec else {
                throw APIError.invalid("response_format 'json_schema' needs a 'json_schema' object with a 'schema'", param: param)
            }
            if let strict = spec["strict"], strict != .null, !(strict == .bool(true) || strict == .bool(false)) {
                throw APIError.invalid("'response_format.json_schema.strict' must be a boolean", param: param)
            }
            guard let schema = spec["schema"], schema != .null else { return OutputFormat(kind: .jsonObject, param: param) }
            return OutputFormat(kind: try schemaKind(schema, param: param), param: param)
        default:
            throw APIError.invalid("response_format type '\(type)' is not supported; use 'text', 'json_object' or 'json_schema'", param: param)
        }
    }

    /// vLLM's `structured_outputs` object: exactly one of `json`, `regex`, `choice`, `grammar`, `json_object`.
    private static func structured(_ v: JSON, param: String) throws -> OutputFormat {
        guard case .object(let entries) = v else { throw APIError.invalid("'\(param)' must be an object", param: param) }
        let set = entries.filter { $0.1 != .null && !(["json_object", "disable_any_whitespace", "disable_additional_properties",
                                                        "whitespace_pattern"].contains($0.0) && $0.1 == .bool(false)) }
        guard set.count == 1, let (key, value) = set.first else {
            throw APIError.invalid("'\(param)' must set exactly one of json, regex, choice, grammar, json_object", param: param)
        }
        switch key {
        case "json": return OutputFormat(kind: try schemaKind(value, param: param), param: param)
        case "json_object" where value == .bool(true): return OutputFormat(kind: .jsonObject, param: param)
        case "regex":
            guard let r = value.stringValue else { throw APIError.invalid("'\(param).regex' must be a string", param: param) }
            return OutputFormat(kind: .regex(r), param: param)
        case "choice":
            guard let items = value.arrayValue, !items.isEmpty, items.allSatisfy({ $0.stringValue != nil }) else {
                throw APIError.invalid("'\(param).choice' must be a non-empty array of strings", param: param)
            }
            return OutputFormat(kind: .choice(items.compactMap(\.stringValue)), param: param)
        case "grammar":
            guard let g = value.stringValue else { throw APIError.invalid("'\(param).grammar' must be a string of GBNF rules", param: param) }
            return OutputFormat(kind: .gbnf(g), param: param)
        default:
            throw APIError.invalid("'\(param)' field '\(key)' is not supported; use json, regex, choice, grammar or json_object", param: param)
        }
    }

    /// A schema given as an object (or as JSON text, as vLLM allows), serialized.
    private static func schemaKind(_ v: JSON, param: String) throws -> Kind {
        switch v {
        case .object, .bool: return .jsonSchema(v.serialized)
        case .string(let text):
            guard let parsed = try? JSONParser.parse(Array(text.utf8)) else {
                throw APIError.invalid("'\(param)' holds a string that is not JSON text of a schema", param: param)
            }
            return try schemaKind(parsed, param: param)
        default: throw APIError.invalid("'\(param)' schema must be a JSON object", param: param)
        }
    }

    /// The compiled grammar; a 400 naming the field when the grammar is invalid or uses
    /// something the compiler cannot enforce.
    func compile(options: JSONSchemaOptions) throws -> Grammar {
        do {
            switch kind {
            case .jsonSchema(let text): return try Grammar(jsonSchema: try JSONParser.parse(Array(text.utf8)), options: options)
            case .jsonObject: return Grammar.anyJSONObject(options: options)
            case .regex(let r): return try Grammar(regex: r)
            case .choice(let c): return try Grammar(choices: c)
            case .gbnf(let g): return try Grammar(gbnf: g)
            }
        } catch let e as GrammarError {
            throw APIError.invalid("'\(param)': \(e.description)", param: param)
        }
    }
}
