import JSON

/// An Anthropic Messages request (`POST /v1/messages`), validated and translated into the
/// fields of the equivalent chat completions request, so that it runs down the chat path:
/// `system` becomes a system message; text blocks become content; `tool_use` blocks become an
/// assistant's `tool_calls` and `tool_result` blocks tool messages; `tools` and `tool_choice`
/// their chat forms; `stop_sequences` becomes `stop`. `metadata` and unknown fields are ignored.
struct MessagesRequest {
    /// The chat request's fields.
    let chat: RequestFields

    /// `countOnly`: for `count_tokens`, which takes no `max_tokens` and no sampling fields.
    init(_ f: RequestFields, countOnly: Bool = false) throws {
        guard let model = try f.string("model") else { throw APIError.invalid("model: Field required", param: "model") }
        var fields: [(String, JSON)] = [("model", .string(model))]
        var messages: [JSON] = []
        if let system = f["system"] {
            messages.append(.object([("role", .string("system")), ("content", .string(try Self.text(system, at: "system")))]))
        }
        guard case .array(let list)? = f["messages"], !list.isEmpty else {
            throw APIError.invalid("messages: must be a non-empty array", param: "messages")
        }
        for (i, m) in list.enumerated() { messages += try Self.messages(m, at: "messages.\(i)") }
        fields.append(("messages", .array(messages)))
        if let tools = f["tools"] {
            guard let items = tools.arrayValue else { throw APIError.invalid("tools: must be an array", param: "tools") }
            fields.append(("tools", .array(try items.enumerated().map { try Self.tool($1, at: "tools.\($0)") })))
        }
        if let choice = f["tool_choice"] { fields += try Self.toolChoice(choice) }
        if !countOnly {
            guard let maxTokens = try f.int("max_tokens", in: 1 ... 1 << 30) else {
                throw APIError.invalid("max_tokens: Field required", param: "max_tokens")
            }
            fields.append(("max_tokens", .int(maxTokens)))
            if let stops = try f.strings("stop_sequences", maxCount: 16) { fields.append(("stop", .array(stops.map { .string($0) }))) }
            if let t = try f.number("temperature", in: 0 ... 1) { fields.append(("temperature", .number(.double(t)))) }
            if let p = try f.number("top_p", in: 0 ... 1, openLower: true) { fields.append(("top_p", .number(.double(p)))) }
            if let k = try f.int("top_k", in: 0 ... 1 << 30) { fields.append(("top_k", .int(k))) }
            if let stream = try f.bool("stream") { fields.append(("stream", .bool(stream))) }
        }
        chat = RequestFields(object: .object(fields))
    }

    /// A string, or an array of text blocks joined by newlines (`system`, a tool result's `content`).
    private static func text(_ value: JSON, at path: String) throws -> String {
        if let s = value.stringValue { return s }
        guard let blocks = value.arrayValue else { throw APIError.invalid("\(path): must be a string or an array of text blocks", param: path) }
        return try blocks.enumerated().map { i, b in
            guard b["type"]?.stringValue == "text", let s = b["text"]?.stringValue else {
                throw APIError.invalid("\(path).\(i): must be a text block {\"type\": \"text\", \"text\": …}", param: path)
            }
            return s
        }.joined(separator: "\n")
    }

    /// One turn as chat messages: a user turn's tool results become tool messages (before
    /// the turn's text, if any); an assistant turn's `tool_use` blocks its `tool_calls`.
    private static func messages(_ m: JSON, at path: String) throws -> [JSON] {
        guard case .object = m, let role = m["role"]?.stringValue, role == "user" || role == "assistant" else {
            throw APIError.invalid("\(path).role: must be 'user' or 'assistant'", param: "messages")
        }
        let blocks: [JSON]
        switch m["content"] {
        case .string(let s)?: return [.object([("role", .string(role)), ("content", .string(s))])]
        case .array(let items)?: blocks = items
        default: throw APIError.invalid("\(path).content: must be a string or an array of content blocks", param: "messages")
        }
        var texts: [String] = [], calls: [JSON] = [], results: [JSON] = []
        for (i, b) in blocks.enumerated() {
            let at = "\(path).content.\(i)"
            switch (b["type"]?.stringValue, role) {
            case ("text", _):
                guard let s = b["text"]?.stringValue else { throw APIError.invalid("\(at).text: must be a string", param: "messages") }
                texts.append(s)
            case ("tool_use", "assistant"):
                guard let id = b["id"]?.stringValue, !id.isEmpty, let name = b["name"]?.stringValue, let input = b["input"], case .object = input else {
                    throw APIError.invalid("\(at): a tool_use block needs a string 'id' and 'name' and an object 'input'", param: "messages")
                }
                calls.append(.object([("id", .string(id)), ("type", .string("function")),
                                      ("function", .object([("name", .string(name)), ("arguments", .string(input.serialized))]))]))
            case ("tool_result", "user"):
                guard let id = b["tool_use_id"]?.stringValue, !id.isEmpty else {
                    throw APIError.invalid("\(at).tool_use_id: must be a non-empty string", param: "messages")
                }
                var content = try b["content"].map { $0 == .null ? "" : try text($0, at: "\(at).content") } ?? ""
                if b["is_error"] == .bool(true) { content = "Error: " + content }
                results.append(.object([("role", .string("tool")), ("tool_call_id", .string(id)), ("content", .string(content))]))
            case ("thinking", "assistant"), ("redacted_thinking", "assistant"):
                continue  // another model's reasoning: not something this model can continue
            case (let type?, _):
                throw APIError.invalid("\(at): content blocks of type '\(type)' are not supported in \(role) turns here "
                                       + "(text\(role == "user" ? ", tool_result" : ", tool_use") only)", param: "messages")
            case (nil, _):
                throw APIError.invalid("\(at).type: Field required", param: "messages")
            }
        }
        var out = results
        if !texts.isEmpty || !calls.isEmpty || results.isEmpty {
            var message: [(String, JSON)] = [("role", .string(role)), ("content", .string(texts.joined(separator: "\n")))]
            if !calls.isEmpty { message.append(("tool_calls", .array(calls))) }
            out.append(.object(message))
        }
        return out
    }

    /// `{name, description?, input_schema}` as chat's `{"type": "function", "function": {…}}`.
    private static func tool(_ t: JSON, at path: String) throws -> JSON {
        guard case .object = t, let name = t["name"]?.stringValue else { throw APIError.invalid("\(path).name: Field required", param: "tools") }
        if let type = t["type"]?.stringValue, type != "custom" {
            throw APIError.invalid("\(path).type: only custom tools (name, description, input_schema) are supported; got '\(type)'", param: "tools")
        }
        guard let schema = t["input_schema"], case .object = schema else {
            throw APIError.invalid("\(path).input_schema: must be a JSON Schema object", param: "tools")
        }
        var function: [(String, JSON)] = [("name", .string(name)), ("parameters", schema)]
        if let d = t["description"], d != .null { function.append(("description", d)) }
        return .object([("type", .string("function")), ("function", .object(function))])
    }

    /// `{"type": "auto" | "any" | "tool" | "none", "name"?, "disable_parallel_tool_use"?}` as chat's fields.
    private static func toolChoice(_ c: JSON) throws -> [(String, JSON)] {
        guard case .object = c else { throw APIError.invalid("tool_choice: must be an object", param: "tool_choice") }
        let choice: JSON
        switch c["type"]?.stringValue {
        case "auto": choice = .string("auto")
        case "any": choice = .string("required")
        case "none": choice = .string("none")
        case "tool":
            guard let name = c["name"]?.stringValue else { throw APIError.invalid("tool_choice.name: Field required", param: "tool_choice") }
            choice = .object([("type", .string("function")), ("function", .object([("name", .string(name))]))])
        default: throw APIError.invalid("tool_choice.type: must be 'auto', 'any', 'tool' or 'none'", param: "tool_choice")
        }
        var out: [(String, JSON)] = [("tool_choice", choice)]
        if c["disable_parallel_tool_use"] == .bool(true) { out.append(("parallel_tool_calls", .bool(false))) }
        return out
    }
}
