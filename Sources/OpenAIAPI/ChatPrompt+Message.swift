import JSON

extension ChatPrompt {
    /// `messages[i]`, validated: role, content (text or text parts), assistant `tool_calls`,
    /// a tool result's `tool_call_id`.
    static func message(_ m: JSON, at i: Int) throws -> Message {
        guard case .object = m else { throw APIError.invalid("messages[\(i)] must be an object", param: "messages") }
        guard let role = m["role"]?.stringValue, ["system", "user", "assistant", "tool", "developer"].contains(role) else {
            throw APIError.invalid("messages[\(i)].role must be one of system, user, assistant, tool, developer", param: "messages")
        }
        var message = Message(role: role, content: try content(m["content"], role: role, at: i), name: m["name"]?.stringValue)
        if let calls = m["tool_calls"], calls != .null {
            guard role == "assistant", let list = calls.arrayValue else {
                throw APIError.invalid("messages[\(i)].tool_calls must be an array, on an assistant message", param: "messages")
            }
            message.toolCalls = try list.enumerated().map { try call($1, at: "messages[\(i)].tool_calls[\($0)]") }
            message.toolCallsValue = .array(zip(list, message.toolCalls).map { raw, call in
                raw.replacing("function", with: raw["function"]?.replacing("arguments", with: call.arguments) ?? .null)
            })
        }
        if role == "tool" {
            guard let id = m["tool_call_id"]?.stringValue, !id.isEmpty else {
                throw APIError.invalid("messages[\(i)].tool_call_id is required on a tool message", param: "messages")
            }
            message.toolCallID = id
        }
        return message
    }

    private static func content(_ value: JSON?, role: String, at i: Int) throws -> String {
        switch value {
        case .string(let s)?: return s
        case .array(let parts)?:
            let texts = parts.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }
            guard texts.count == parts.count else {
                throw APIError.invalid("messages[\(i)].content parts must be {\"type\":\"text\",\"text\":…}; "
                                       + "images and audio are not supported", param: "messages")
            }
            return texts.joined(separator: "\n")
        case nil, .null?:
            guard role == "assistant" else { throw APIError.invalid("messages[\(i)].content is required", param: "messages") }
            return ""
        default: throw APIError.invalid("messages[\(i)].content must be a string or an array of text parts", param: "messages")
        }
    }

    /// One entry of an assistant's `tool_calls`: `{id, type: "function", function: {name, arguments}}`,
    /// the arguments a JSON string of an object.
    private static func call(_ c: JSON, at path: String) throws -> Call {
        guard case .object = c, let id = c["id"]?.stringValue, !id.isEmpty else {
            throw APIError.invalid("\(path) must be an object with a string 'id'", param: "messages")
        }
        guard c["type"]?.stringValue == "function" else { throw APIError.invalid("\(path).type must be 'function'", param: "messages") }
        guard let f = c["function"], case .object = f, let name = f["name"]?.stringValue, !name.isEmpty else {
            throw APIError.invalid("\(path).function must be an object with a string 'name'", param: "messages")
        }
        guard let text = f["arguments"]?.stringValue, let arguments = try? JSONParser.parse(Array(text.utf8)), case .object = arguments else {
            throw APIError.invalid("\(path).function.arguments must be a string holding a JSON object", param: "messages")
        }
        return Call(id: id, name: name, arguments: arguments)
    }
}

extension JSON {
    /// This object with `key`'s value replaced by `value`.
    func replacing(_ key: String, with value: JSON) -> JSON {
        guard case .object(let fields) = self else { return self }
        return .object(fields.map { $0.0 == key ? ($0.0, value) : $0 })
    }
}
