import ChatTemplate
import Engine
import Foundation
import HTTP
import JSON
import Tokenizers

/// `POST /v1/chat/completions`: messages → the model's chat template → tokens → generation.
struct ChatRoute {
    let service: ModelService

    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) throws {
        let job = try GenerationJob(request, service, chat: true) { [try ChatRoute.promptTokens($0, service)] }
        try job.answer(responder, opening: [("delta", .object([("role", .string("assistant")), ("content", .string(""))])), ("logprobs", .null)],
                       onDelta: { delta, c, send in
            var lp = delta.logprobs.isEmpty ? JSON.null : logprobs(c, delta.logprobs)
            if !delta.text.isEmpty {
                try send([("delta", .object([("content", .string(delta.text))])), ("logprobs", lp)], nil)
                lp = .null
            }
            if let reason = delta.finishReason { try send([("delta", .object([])), ("logprobs", lp)], reason) }
        }, item: { c in
            let lp = job.options.logprobs != nil ? logprobs(c, 0 ..< c.logprobs.count) : .null
            return .object([("index", .int(c.index)), ("message", .object([("role", .string("assistant")), ("content", .string(c.text))])),
                            ("logprobs", lp), ("finish_reason", .string(c.finishReason ?? "stop"))])
        })
    }

    /// Chat's `logprobs` object for the choice's tokens in `range`.
    private func logprobs(_ c: Choice, _ range: Range<Int>) -> JSON {
        .object([("content", LogprobsFormat.chatContent(ids: c.tokenIDs[range], logprobs: c.logprobs[range], tokenizer: service.tokenizer)),
                 ("refusal", .null)])
    }

    /// The rendered and tokenized conversation (special-token spellings from the template
    /// become tokens; nothing is added beyond what the template writes).
    static func promptTokens(_ fields: RequestFields, _ service: ModelService) throws -> [Int32] {
        guard let template = service.template else {
            throw APIError.invalid("this model has no chat template (tokenizer.chat_template); use /v1/completions", param: "messages")
        }
        guard case .array(let list)? = fields["messages"], !list.isEmpty else {
            throw APIError.invalid("'messages' must be a non-empty array", param: "messages")
        }
        let messages: [TemplateValue] = try list.enumerated().map { i, m in
            guard case .object = m else { throw APIError.invalid("messages[\(i)] must be an object", param: "messages") }
            guard let role = m["role"]?.stringValue, ["system", "user", "assistant", "tool", "developer"].contains(role) else {
                throw APIError.invalid("messages[\(i)].role must be one of system, user, assistant, tool, developer", param: "messages")
            }
            let content: String
            switch m["content"] {
            case .string(let s)?: content = s
            case .array(let parts)?:
                let texts = parts.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }
                guard texts.count == parts.count else {
                    throw APIError.invalid("messages[\(i)].content parts must be {\"type\":\"text\",\"text\":…}; "
                                           + "images and audio are not supported", param: "messages")
                }
                content = texts.joined(separator: "\n")
            case nil, .null?:
                guard role == "assistant" else { throw APIError.invalid("messages[\(i)].content is required", param: "messages") }
                content = ""
            default: throw APIError.invalid("messages[\(i)].content must be a string or an array of text parts", param: "messages")
            }
            var entry: [(String, TemplateValue)] = [("role", .string(role)), ("content", .string(content))]
            if let name = m["name"]?.stringValue { entry.append(("name", .string(name))) }
            return .object(entry)
        }
        let addGenerationPrompt = try fields.bool("add_generation_prompt") ?? true
        let text: String
        do {
            text = try template.render([
                "messages": .array(messages), "add_generation_prompt": .bool(addGenerationPrompt),
                "bos_token": .string(service.bosToken), "eos_token": .string(service.eosToken),
            ])
        } catch let e as TemplateError {
            if case .raised(let message) = e { throw APIError.invalid("the chat template refused the conversation: \(message)", param: "messages") }
            throw APIError(status: 500, message: "the model's chat template failed: \(e)", type: "server_error")
        }
        let ids = service.tokenizer.encode(text, addSpecial: false, parseSpecial: true)
        guard !ids.isEmpty else { throw APIError.invalid("the rendered conversation is empty", param: "messages") }
        return ids
    }
}
