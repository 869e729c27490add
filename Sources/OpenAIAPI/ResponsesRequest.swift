import JSON

/// An OpenAI Responses request (`POST /v1/responses`), validated: its input as chat messages
/// (and as the input items `input_items` lists), and the fields of the equivalent chat
/// completions request, so that it runs down the chat path (`chat(history:)`), `instructions`
/// becoming the first system message. Message items (`user`, `assistant`, `system`,
/// `developer` as `system`) with string or text-part content become messages;
/// `function_call` items an assistant's `tool_calls`, `function_call_output` items tool
/// messages; flat function `tools` and `tool_choice` their chat forms; `text.format` the
/// chat `response_format`. Fields the response object echoes are kept as given.
struct ResponsesRequest {
    /// The input as chat messages (the conversation turns this request adds).
    let messages: [JSON]
    /// The input items as `input_items` lists them, each with an `id`.
    let inputItems: [JSON]
    let instructions: String?
    let previousResponseID: String?
    let store: Bool
    let stream: Bool
    /// The response object's fields that repeat the request (`tools`, `text`, `metadata`, …).
    let echo: [(String, JSON)]
    /// The chat request's fields other than `messages`.
    private let chatFields: [(String, JSON)]

    init(_ f: RequestFields) throws {
        guard let model = try f.string("model") else { throw APIError.invalid("'model' is required", param: "model") }
        var chat: [(String, JSON)] = [("model", .string(model))]
        var echo: [(String, JSON)] = []
        for name in ["background", "conversation", "prompt"] where f[name] != nil && f[name] != .bool(false) {
            throw APIError.invalid("'\(name)' is not supported by this server", param: name)
        }
        if let top = try f.int("top_logprobs", in: 0 ... 20), top > 0 {
            throw APIError.invalid("'top_logprobs' is not supported by this server", param: "top_logprobs")
        }
        if let tools = try f.int("max_tool_calls", in: 1 ... 1 << 20) {
            throw APIError.invalid("'max_tool_calls' (\(tools)) is not supported by this server", param: "max_tool_calls")
        }
        if let reasoning = f["reasoning"] {
            guard case .object(let entries) = reasoning else { throw APIError.invalid("'reasoning' must be an object", param: "reasoning") }
            if let (key, _) = entries.first(where: { $0.1 != .null }) {
                throw APIError.invalid("'reasoning.\(key)' is not supported: this model does not reason", param: "reasoning.\(key)")
            }
        }
        let truncation = try f.string("truncation") ?? "disabled"
        guard truncation == "disabled" else {
            throw APIError.invalid("'truncation' must be 'disabled'; dropping context to fit ('auto') is not supported", param: "truncation")
        }
        if let include = f["include"], include.arrayValue?.allSatisfy({ $0.stringValue != nil }) != true {
            throw APIError.invalid("'include' must be an array of strings", param: "include")
        }
        for name in ["safety_identifier", "prompt_cache_key", "service_tier"] { _ = try f.string(name) }

        instructions = try f.string("instructions")
        echo.append(("instructions", instructions.map { .string($0) } ?? .null))
        guard let input = f["input"] else { throw APIError.invalid("'input' is required", param: "input") }
        (messages, inputItems) = try Self.input(input)

        let maxTokens = try f.int("max_output_tokens", in: 1 ... 1 << 30)
        if let maxTokens { chat.append(("max_tokens", .int(maxTokens))) }
        echo.append(("max_output_tokens", maxTokens.map { .int($0) } ?? .null))
        if let t = try f.number("temperature", in: 0 ... 2) { chat.append(("temperature", .number(.double(t)))) }
        if let p = try f.number("top_p", in: 0 ... 1, openLower: true) { chat.append(("top_p", .number(.double(p)))) }
        // Extensions, as on chat: a seed for sampled answers, top_k.
        if let s = try f.int("seed", in: Int(Int64.min) ... Int(Int64.max)) { chat.append(("seed", .int(s))) }
        if let k = f["top_k"] { chat.append(("top_k", k)) }

        let (tools, shown) = try Self.tools(f["tools"])
        if let tools { chat.append(("tools", tools)) }
        let choice = try Self.toolChoice(f["tool_choice"])
        if let choice { chat.append(("tool_choice", choice.chat)) }
        let parallel = try f.bool("parallel_tool_calls") ?? true
        chat.append(("parallel_tool_calls", .bool(parallel)))
        echo += [("parallel_tool_calls", .bool(parallel)), ("tool_choice", choice?.shown ?? .string("auto")), ("tools", .array(shown))]

        let (format, text) = try Self.text(f["text"])
        if let format { chat.append(("response_format", format)) }
        echo.append(("text", text))

        previousResponseID = try f.string("previous_response_id")
        store = try f.bool("store") ?? true
        stream = try f.bool("stream") ?? false
        chat.append(("stream", .bool(stream)))
        echo += [("previous_response_id", previousResponseID.map { .string($0) } ?? .null), ("store", .bool(store)),
                 ("truncation", .string(truncation)), ("user", try f.string("user").map { .string($0) } ?? .null),
                 ("metadata", try Self.metadata(f["metadata"]))]
        self.echo = echo
        chatFields = chat
    }

    /// The chat request: `instructions` as a system message, then `history` (the previous
    /// response's conversation), then this input.
    func chat(history: [JSON]) -> RequestFields {
        let system = instructions.map { [JSON.object([("role", .string("system")), ("content", .string($0))])] } ?? []
        return RequestFields(object: .object(chatFields + [("messages", .array(system + history + messages))]))
    }

    /// An error the chat path raised, naming this API's fields (`max_output_tokens`, `text.format`, `input`, `tools[i].parameters`).
    static func renamed(_ e: APIError) -> APIError {
        var e = e
        let names = [("response_format", "text.format"), ("max_tokens", "max_output_tokens"), (".function.", ".")]
        for (chat, responses) in names { e.message = e.message.replacingOccurrences(of: chat, with: responses) }
        if let p = e.param {
            e.param = p == "messages" ? "input" : names.reduce(p) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
        }
        return e
    }

    // MARK: input

    /// `input`: a string (one user message) or a non-empty array of items.
    private static func input(_ value: JSON) throws -> (messages: [JSON], items: [JSON]) {
        if let s = value.stringValue {
            return ([message("user", s)], [item("message", id: nil, [("role", .string("user")), ("content", .array([inputText(s)]))])])
        }
        guard let list = value.arrayValue, !list.isEmpty else {
            throw APIError.invalid("'input' must be a string or a non-empty array of input items", param: "input")
        }
        var messages: [JSON] = [], items: [JSON] = []
        for (i, entry) in list.enumerated() {
            let at = "input[\(i)]"
            guard case .object = entry else { throw APIError.invalid("\(at) must be an object", param: at) }
            let id = entry["id"]?.stringValue
            switch entry["type"]?.stringValue ?? (entry["role"] != nil ? "message" : "") {
            case "message":
                guard let role = entry["role"]?.stringValue, ["user", "assistant", "system", "developer"].contains(role) else {
                    throw APIError.invalid("\(at).role must be one of user, assistant, system, developer", param: "\(at).role")
                }
                let text = try content(entry["content"], at: "\(at).content")
                messages.append(message(role == "developer" ? "system" : role, text))
                let part = role == "assistant"
                    ? JSON.object([("type", .string("output_text")), ("text", .string(text)), ("annotations", .array([]))]) : inputText(text)
                items.append(item("message", id: id, [("role", .string(role)), ("content", .array([part]))]))
            case "function_call":
                let callID = try string(entry, "call_id", at: at), name = try string(entry, "name", at: at)
                let arguments = try string(entry, "arguments", at: at)
                guard let parsed = try? JSONParser.parse(Array(arguments.utf8)), case .object = parsed else {
                    throw APIError.invalid("\(at).arguments must be a string holding a JSON object", param: "\(at).arguments")
                }
                let call: JSON = .object([("id", .string(callID)), ("type", .string("function")),
                                          ("function", .object([("name", .string(name)), ("arguments", .string(arguments))]))])
                // Calls right after an assistant turn belong to it.
                if case .object(var fields)? = messages.last, fields.first?.1 == .string("assistant") {
                    let calls = fields.first { $0.0 == "tool_calls" }?.1.arrayValue ?? []
                    fields.removeAll { $0.0 == "tool_calls" }
                    messages[messages.count - 1] = .object(fields + [("tool_calls", .array(calls + [call]))])
                } else {
                    messages.append(.object([("role", .string("assistant")), ("content", .string("")), ("tool_calls", .array([call]))]))
                }
                items.append(item("function_call", id: id, [("call_id", .string(callID)), ("name", .string(name)), ("arguments", .string(arguments))]))
            case "function_call_output":
                let callID = try string(entry, "call_id", at: at)
                let output = try content(entry["output"], at: "\(at).output")
                messages.append(.object([("role", .string("tool")), ("tool_call_id", .string(callID)), ("content", .string(output))]))
                items.append(item("function_call_output", id: id, [("call_id", .string(callID)), ("output", .string(output))]))
            case "":
                throw APIError.invalid("\(at) needs a 'type' (message, function_call, function_call_output) or a 'role'", param: "\(at).type")
            case let type:
                throw APIError.invalid("\(at).type '\(type)' is not supported; use message, function_call or function_call_output",
                                       param: "\(at).type")
            }
        }
        return (messages, items)
    }

    /// A message's content or a call's output: a string, or an array of `input_text`/`output_text` parts (joined by newlines).
    private static func content(_ value: JSON?, at path: String) throws -> String {
        if let s = value?.stringValue { return s }
        guard let parts = value?.arrayValue else { throw APIError.invalid("\(path) must be a string or an array of text parts", param: path) }
        return try parts.enumerated().map { i, p in
            guard let type = p["type"]?.stringValue, type == "input_text" || type == "output_text", let text = p["text"]?.stringValue else {
                throw APIError.invalid("\(path)[\(i)] must be {\"type\": \"input_text\", \"text\": …}; images, files and audio are not supported",
                                       param: "\(path)[\(i)]")
            }
            return text
        }.joined(separator: "\n")
    }

    private static func string(_ entry: JSON, _ key: String, at path: String) throws -> String {
        guard let s = entry[key]?.stringValue, !s.isEmpty else { throw APIError.invalid("\(path).\(key) must be a non-empty string", param: "\(path).\(key)") }
        return s
    }

    private static func message(_ role: String, _ text: String) -> JSON { .object([("role", .string(role)), ("content", .string(text))]) }

    private static func inputText(_ text: String) -> JSON { .object([("type", .string("input_text")), ("text", .string(text))]) }

    /// An input item as `input_items` lists it: its id (a new one when the request gave none), type, fields and status.
    private static func item(_ type: String, id: String?, _ fields: [(String, JSON)]) -> JSON {
        let prefix = ["message": "msg", "function_call": "fc", "function_call_output": "fco"][type] ?? "item"
        return .object([("id", .string(id ?? ResponseEvents.newID(prefix))), ("type", .string(type))] + fields + [("status", .string("completed"))])
    }

    // MARK: tools, text, metadata

    /// Flat function tools `{type: "function", name, description?, parameters?, strict?}`: chat's
    /// `tools`, and the tools as the response shows them.
    private static func tools(_ value: JSON?) throws -> (chat: JSON?, shown: [JSON]) {
        guard let value else { return (nil, []) }
        guard let list = value.arrayValue else { throw APIError.invalid("'tools' must be an array of tools", param: "tools") }
        var chat: [JSON] = [], shown: [JSON] = []
        for (i, t) in list.enumerated() {
            let at = "tools[\(i)]"
            guard case .object = t, let type = t["type"]?.stringValue else { throw APIError.invalid("\(at) must be an object with a 'type'", param: at) }
            guard type == "function" else {
                throw APIError.invalid("\(at).type '\(type)' is not supported: only function tools are", param: "\(at).type")
            }
            guard let name = t["name"]?.stringValue else { throw APIError.invalid("\(at).name must be a string", param: "\(at).name") }
            let description = t["description"] ?? .null, parameters = t["parameters"] ?? .null, strict = t["strict"] ?? .null
            guard description == .null || description.stringValue != nil else {
                throw APIError.invalid("\(at).description must be a string", param: "\(at).description")
            }
            guard strict == .null || strict.boolValue != nil else { throw APIError.invalid("\(at).strict must be a boolean", param: "\(at).strict") }
            var function: [(String, JSON)] = [("name", .string(name))]
            if description != .null { function.append(("description", description)) }
            if parameters != .null { function.append(("parameters", parameters)) }
            chat.append(.object([("type", .string("function")), ("function", .object(function))]))
            shown.append(.object([("type", .string("function")), ("name", .string(name)), ("description", description),
                                  ("parameters", parameters), ("strict", strict == .null ? .bool(true) : strict)]))
        }
        return (.array(chat), shown)
    }

    /// `tool_choice`: "none", "auto", "required" or `{type: "function", name}`: chat's form and the form shown.
    private static func toolChoice(_ value: JSON?) throws -> (chat: JSON, shown: JSON)? {
        guard let value else { return nil }
        if let s = value.stringValue, ["none", "auto", "required"].contains(s) { return (value, value) }
        guard value["type"]?.stringValue == "function", let name = value["name"]?.stringValue else {
            throw APIError.invalid("'tool_choice' must be 'none', 'auto', 'required' or {\"type\": \"function\", \"name\": …}", param: "tool_choice")
        }
        let shown: JSON = .object([("type", .string("function")), ("name", .string(name))])
        return (.object([("type", .string("function")), ("function", .object([("name", .string(name))]))]), shown)
    }

    /// `text`: `{format: {type: "text"} | {type: "json_schema", name, schema, strict?, description?} | {type: "json_object"}, verbosity?}`:
    /// chat's `response_format` (nil for text) and the `text` the response shows.
    private static func text(_ value: JSON?) throws -> (format: JSON?, shown: JSON) {
        let plain: JSON = .object([("type", .string("text"))])
        guard let value else { return (nil, .object([("format", plain)])) }
        guard case .object = value else { throw APIError.invalid("'text' must be an object", param: "text") }
        var shown: [(String, JSON)] = []
        var chat: JSON?
        switch value["format"] {
        case nil, .null?:
            shown.append(("format", plain))
        case let format?:
            switch format["type"]?.stringValue {
            case "text":
                shown.append(("format", plain))
            case "json_object":
                chat = .object([("type", .string("json_object"))])
                shown.append(("format", chat ?? plain))
            case "json_schema":
                guard let name = format["name"]?.stringValue, !name.isEmpty else {
                    throw APIError.invalid("'text.format.name' must be a non-empty string", param: "text.format.name")
                }
                guard let schema = format["schema"], case .object = schema else {
                    throw APIError.invalid("'text.format.schema' must be a JSON Schema object", param: "text.format.schema")
                }
                let strict = format["strict"] ?? .null
                guard strict == .null || strict.boolValue != nil else {
                    throw APIError.invalid("'text.format.strict' must be a boolean", param: "text.format.strict")
                }
                let description = format["description"] ?? .null
                guard description == .null || description.stringValue != nil else {
                    throw APIError.invalid("'text.format.description' must be a string", param: "text.format.description")
                }
                chat = .object([("type", .string("json_schema")),
                                ("json_schema", .object([("name", .string(name)), ("schema", schema), ("strict", strict)]))])
                shown.append(("format", .object([("type", .string("json_schema")), ("name", .string(name)), ("schema", schema),
                                                 ("strict", strict == .null ? .bool(false) : strict), ("description", description)])))
            default:
                throw APIError.invalid("'text.format.type' must be 'text', 'json_schema' or 'json_object'", param: "text.format.type")
            }
        }
        if let verbosity = value["verbosity"], verbosity != .null {
            guard let v = verbosity.stringValue, ["low", "medium", "high"].contains(v) else {
                throw APIError.invalid("'text.verbosity' must be 'low', 'medium' or 'high'", param: "text.verbosity")
            }
            shown.append(("verbosity", verbosity))
        }
        return (chat, .object(shown))
    }

    /// `metadata`: at most 16 string values under keys of at most 64 characters, values of at most 512.
    private static func metadata(_ value: JSON?) throws -> JSON {
        guard let value else { return .object([]) }
        guard case .object(let entries) = value, entries.count <= 16,
              entries.allSatisfy({ $0.0.count <= 64 && ($0.1.stringValue?.count ?? 513) <= 512 }) else {
            throw APIError.invalid("'metadata' must be an object of at most 16 string values (keys up to 64 characters, values up to 512)",
                                   param: "metadata")
        }
        return value
    }
}
