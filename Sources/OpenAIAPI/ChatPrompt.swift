import ChatTemplate
import JSON

/// A chat request's conversation, validated, as the template variables Hugging Face passes:
/// `messages` (assistant `tool_calls` with their arguments parsed, since templates write
/// them with `tojson`; tool results with `tool_call_id` and the function's name) and
/// `tools`. For a template without a tool format the tools become a system-prompt section
/// in Tern's generic format, calls in the history are written in it, and tool results
/// become user turns.
struct ChatPrompt {
    struct Call { let id: String; let name: String; let arguments: JSON }

    struct Message {
        var role: String
        var content: String
        var name: String?
        var toolCalls: [Call] = []
        /// `tool_calls` as the request gave them, with each `function.arguments` parsed.
        var toolCallsValue: JSON?
        var toolCallID: String?
    }

    var messages: [Message]
    let tools: ToolRequest?
    let format: ToolFormat

    init(_ fields: RequestFields, tools: ToolRequest?, format: ToolFormat) throws {
        guard case .array(let list)? = fields["messages"], !list.isEmpty else {
            throw APIError.invalid("'messages' must be a non-empty array", param: "messages")
        }
        self.tools = tools
        self.format = format
        messages = try list.enumerated().map { try Self.message($1, at: $0) }
        var names: [String: String] = [:]
        for i in messages.indices {
            for c in messages[i].toolCalls { names[c.id] = c.name }
            if messages[i].role == "tool", messages[i].name == nil, let id = messages[i].toolCallID { messages[i].name = names[id] }
        }
    }

    /// The template's `messages` and, for a template with a tool format, `tools`.
    var variables: [String: TemplateValue] {
        guard format.isNative else { return ["messages": .array(genericMessages.map { Self.value($0, native: false) })] }
        var v: [String: TemplateValue] = ["messages": .array(messages.map { Self.value($0, native: true) })]
        if let tools { v["tools"] = .array(tools.functions.map { TemplateValue(json: $0.tool) }) }
        return v
    }

    private static func value(_ m: Message, native: Bool) -> TemplateValue {
        var entry: [(String, TemplateValue)] = [("role", .string(m.role)), ("content", .string(m.content))]
        if let name = m.name { entry.append(("name", .string(name))) }
        if native, let calls = m.toolCallsValue { entry.append(("tool_calls", TemplateValue(json: calls))) }
        if native, let id = m.toolCallID { entry.append(("tool_call_id", .string(id))) }
        return .object(entry)
    }

    /// The conversation in the generic format: the tools described in the system prompt,
    /// calls written out, tool results as user turns (consecutive ones merged).
    private var genericMessages: [Message] {
        var out: [Message] = []
        for m in messages {
            var m = m
            if !m.toolCalls.isEmpty {
                let written = m.toolCalls.map { format.written(name: $0.name, arguments: $0.arguments) }.joined(separator: "\n")
                m.content += (m.content.isEmpty ? "" : "\n") + written
                m.toolCalls = []
                m.toolCallsValue = nil
            }
            if m.role == "tool" {
                let result = "Tool result for \(m.name ?? "the call") (id \(m.toolCallID ?? "")): \(m.content)"
                m = Message(role: "user", content: result, toolCallID: m.toolCallID)
            }
            // A user turn next to tool results joins them (templates such as Gemma's require
            // user and assistant turns to alternate).
            if m.role == "user", let last = out.last, last.role == "user", last.toolCallID != nil || m.toolCallID != nil {
                out[out.count - 1].content += "\n\n" + m.content
                out[out.count - 1].toolCallID = last.toolCallID ?? m.toolCallID
                continue
            }
            out.append(m)
        }
        if let tools, tools.parsesCalls {
            let section = tools.genericInstructions
            if out.first?.role == "system" {
                out[0].content = section + "\n\n" + out[0].content
            } else {
                out.insert(Message(role: "system", content: section), at: 0)
            }
        }
        return out
    }
}

extension TemplateValue {
    /// A JSON value as the template sees it.
    init(json: JSON) {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .number(let n): self = n.int.map { .int($0) } ?? .double(n.double)
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(items.map { TemplateValue(json: $0) })
        case .object(let fields): self = .object(fields.map { ($0, TemplateValue(json: $1)) })
        }
    }
}
