import Engine
import Foundation
import Grammar
import JSON
import Tokenizers

/// A chat request's tools, validated: the functions offered (`tools`), whether and which
/// the model must call (`tool_choice`), whether several calls may come at once
/// (`parallel_tool_calls`), and the model's call syntax.
struct ToolRequest {
    struct Function {
        let name: String
        let description: String?
        /// A JSON Schema of the arguments object.
        let parameters: JSON
        /// The tool as the request gave it (`{"type": "function", "function": {…}}`), for the template.
        let tool: JSON
    }

    enum Choice: Equatable { case none, auto, required, named(String) }

    let functions: [Function]
    let choice: Choice
    let parallel: Bool
    let format: ToolFormat

    /// Reads the tool fields; nil when the request has no tools.
    init?(_ f: RequestFields, format: ToolFormat) throws {
        self.format = format
        var functions: [Function] = []
        if let tools = f["tools"] {
            guard let list = tools.arrayValue else { throw APIError.invalid("'tools' must be an array of tools", param: "tools") }
            for (i, tool) in list.enumerated() {
                let function = try Self.function(tool, at: "tools[\(i)]")
                guard !functions.contains(where: { $0.name == function.name }) else {
                    throw APIError.invalid("tools[\(i)].function.name '\(function.name)' is given twice", param: "tools[\(i)].function.name")
                }
                functions.append(function)
            }
        }
        let choice = try Self.choice(f["tool_choice"], names: functions.map(\.name))
        parallel = try f.bool("parallel_tool_calls") ?? true
        guard !functions.isEmpty else { return nil }
        self.functions = functions
        self.choice = choice
    }

    private static func function(_ tool: JSON, at path: String) throws -> Function {
        guard case .object = tool, tool["type"]?.stringValue == "function", let f = tool["function"], case .object = f else {
            throw APIError.invalid("\(path) must be {\"type\": \"function\", \"function\": {\"name\": …}}", param: path)
        }
        let nameOK = { (s: String) in (1 ... 64).contains(s.utf8.count)
            && s.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0" ... "9").contains($0))) || $0 == "_" || $0 == "-" } }
        guard let name = f["name"]?.stringValue, nameOK(name) else {
            throw APIError.invalid("\(path).function.name must be 1 to 64 of a-z, A-Z, 0-9, underscores and dashes", param: "\(path).function.name")
        }
        var description: String?
        if let d = f["description"], d != .null {
            guard let s = d.stringValue else { throw APIError.invalid("\(path).function.description must be a string", param: "\(path).function.description") }
            description = s
        }
        var parameters = JSON.object([("type", .string("object")), ("properties", .object([]))])
        if let p = f["parameters"], p != .null {
            guard case .object = p else {
                throw APIError.invalid("\(path).function.parameters must be a JSON Schema object", param: "\(path).function.parameters")
            }
            parameters = p
        }
        return Function(name: name, description: description, parameters: parameters, tool: tool)
    }

    private static func choice(_ v: JSON?, names: [String]) throws -> Choice {
        let param = "tool_choice"
        var choice: Choice
        switch v {
        case nil: return names.isEmpty ? .none : .auto
        case .string("none")?: choice = .none
        case .string("auto")?: choice = .auto
        case .string("required")?: choice = .required
        case let object? where object["type"]?.stringValue == "function":
            guard let name = object["function"]?["name"]?.stringValue else {
                throw APIError.invalid("'tool_choice' {\"type\": \"function\"} needs function.name", param: param)
            }
            guard names.contains(name) else {
                throw APIError.invalid("tool_choice names function '\(name)', which is not among the tools", param: param)
            }
            choice = .named(name)
        default:
            throw APIError.invalid("'tool_choice' must be 'none', 'auto', 'required' or {\"type\": \"function\", \"function\": {\"name\": …}}",
                                   param: param)
        }
        if names.isEmpty && choice != .none && choice != .auto {
            throw APIError.invalid("'tool_choice' \(choice == .required ? "required" : "with a function") needs 'tools'", param: param)
        }
        return choice
    }

    /// The most calls one answer may hold when several are allowed: a small model that goes
    /// on opening calls instead of ending then stops here rather than at the length limit,
    /// mid-call. A named `tool_choice` is one call, as OpenAI and vLLM make it.
    static let maxParallelCalls = 4

    var isNamed: Bool { if case .named = choice { true } else { false } }

    /// Whether the model's output is read for calls.
    var parsesCalls: Bool { choice != .none }

    /// The functions the call may name.
    private var offered: [(index: Int, function: Function)] {
        functions.enumerated().filter { if case .named(let n) = choice { $0.element.name == n } else { true } }
            .map { ($0.offset, $0.element) }
    }

    /// The constraint on the output: eager for `required` and a named function, lazy
    /// (once the model opens a call) for `auto`, none for `none` or a model whose opening
    /// cannot be watched for.
    func constraint(_ grammars: GrammarCache, tokenizer: any Tokenizer) throws -> TokenConstraint? {
        let eager = choice != .auto
        let trigger: (bytes: [UInt8]?, tokens: Set<Int32>)? = eager ? (nil, []) : format.trigger(tokenizer)
        guard choice != .none, let trigger else { return nil }
        let maxCount = parallel && !isNamed ? Self.maxParallelCalls : 1
        let schema = callSchema()
        let key = "tools/\(format.family.rawValue)/\(eager)/\(maxCount)/\(schema.serialized)"
        let masker = try grammars.masker(key: key) {
            do {
                return try format.grammar(call: schema, eager: eager, maxCount: maxCount, options: grammars.options)
            } catch let e as GrammarError {
                throw culprit(e, options: grammars.options)
            }
        }
        return TokenConstraint(masker: masker, trigger: trigger.bytes, triggerTokens: trigger.tokens)
    }

    /// The 400 naming the function whose parameters the grammar cannot take.
    private func culprit(_ error: GrammarError, options: JSONSchemaOptions) -> APIError {
        for (i, f) in offered {
            do { _ = try Grammar(jsonSchema: f.parameters, options: options) } catch {
                return APIError.invalid("tools[\(i)].function.parameters: \(error)", param: "tools[\(i)].function.parameters")
            }
        }
        return APIError.invalid("tools: \(error.description)", param: "tools")
    }

    /// Compiles the parameters of every function the constraint did not (all of them when
    /// there is none: `none`, or Llama 3's unwatched `auto`; the others under a named choice),
    /// so a schema Tern could not enforce is a 400 whatever the choice, never accepted and ignored.
    func checkParameters(constrained: Bool, options: JSONSchemaOptions) throws {
        let compiled = constrained ? Set(offered.map(\.function.name)) : []
        for (i, f) in functions.enumerated() where !compiled.contains(f.name) {
            do { _ = try Grammar(jsonSchema: f.parameters, options: options) } catch {
                throw APIError.invalid("tools[\(i)].function.parameters: \(error)", param: "tools[\(i)].function.parameters")
            }
        }
    }

    /// One call object of an offered function: `{"anyOf": [{name: const, arguments: parameters}, …]}`,
    /// local `$ref`s of each function's parameters pointed at where they now sit.
    func callSchema() -> JSON {
        let key = format.argumentsKey
        let calls: [JSON] = offered.enumerated().map { j, entry in
            let params = Self.rebased(entry.function.parameters, under: "#/anyOf/\(j)/properties/\(key)")
            return .object([("type", .string("object")),
                            ("properties", .object([("name", .object([("const", .string(entry.function.name))])), (key, params)])),
                            ("required", .array([.string("name"), .string(key)]))])
        }
        return .object([("anyOf", .array(calls))])
    }

    /// `schema` with every local `$ref` ("#…") moved under `base`.
    private static func rebased(_ schema: JSON, under base: String) -> JSON {
        switch schema {
        case .object(let fields):
            return .object(fields.map { k, v in
                if k == "$ref", let r = v.stringValue, r.hasPrefix("#") { return (k, .string(base + r.dropFirst())) }
                return (k, rebased(v, under: base))
            })
        case .array(let items): return .array(items.map { rebased($0, under: base) })
        default: return schema
        }
    }
}
