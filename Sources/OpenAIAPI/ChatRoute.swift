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
        let fields = try RequestFields(request.body)
        try checkModel(fields, service)
        let options = try GenerationOptions(fields, vocabularySize: service.tokenizer.vocabularySize, chat: true,
                                            defaults: service.samplingDefaults)
        let prompt = try ChatRoute.promptTokens(fields, service)
        let maxTokens = options.maxTokens ?? max(1, service.maxModelLen - prompt.count)
        try checkContext(promptTokens: prompt.count, maxTokens: maxTokens, service)
        let id = "chatcmpl-" + randomHex()
        let generation = Generation(service: service, options: options, prompts: [prompt], maxTokens: maxTokens, baseID: id)
        var chunk = ChunkShape(id: id, object: "chat.completion.chunk", service: service, includeUsage: options.includeUsage)

        if options.stream {
            let sse = SSEWriter(responder: responder)
            try sse.open()
            var sentFrom = Array(repeating: 0, count: options.n)
            for c in 0 ..< options.n {
                try sse.send(chunk.make(choice: c, body: [("delta", .object([("role", .string("assistant")), ("content", .string(""))])),
                                                          ("logprobs", .null)], finish: nil))
            }
            sse.run {
                let choices = try generation.run(onClientGone: responder.onPeerClosed) { delta, choices in
                    let c = choices[delta.index]
                    var lp = JSON.null
                    if options.logprobs != nil, !delta.text.isEmpty || delta.finishReason != nil {
                        let r = sentFrom[delta.index] ..< c.logprobs.count
                        if !r.isEmpty {
                            lp = .object([("content", LogprobsFormat.chatContent(ids: c.tokenIDs[r], logprobs: c.logprobs[r], tokenizer: service.tokenizer)),
                                          ("refusal", .null)])
                        }
                        sentFrom[delta.index] = r.upperBound
                    }
                    if !delta.text.isEmpty {
                        try sse.send(chunk.make(choice: delta.index, body: [("delta", .object([("content", .string(delta.text))])), ("logprobs", lp)], finish: nil))
                        lp = .null
                    }
                    if let reason = delta.finishReason {
                        try sse.send(chunk.make(choice: delta.index, body: [("delta", .object([])), ("logprobs", lp)], finish: reason))
                    }
                }
                if options.includeUsage { try sse.send(chunk.usageChunk(usage([prompt], choices))) }
            }
            return
        }

        let choices = try generation.run(onClientGone: responder.onPeerClosed) { _, _ in }
        let items: [JSON] = choices.map { c in
            var lp = JSON.null
            if options.logprobs != nil {
                lp = .object([("content", LogprobsFormat.chatContent(ids: c.tokenIDs[0 ..< c.logprobs.count], logprobs: c.logprobs[...],
                                                                     tokenizer: service.tokenizer)), ("refusal", .null)])
            }
            return .object([("index", .int(c.index)),
                            ("message", .object([("role", .string("assistant")), ("content", .string(c.text))])),
                            ("logprobs", lp), ("finish_reason", .string(c.finishReason ?? "stop"))])
        }
        chunk.includeUsage = false
        responder.send(jsonResponse(chunk.complete(choices: items, usage: usage([prompt], choices), object: "chat.completion")))
    }

    /// The rendered and tokenized conversation (special-token spellings from the template
    /// become tokens; nothing is added beyond what the template writes).
    static func promptTokens(_ fields: RequestFields, _ service: ModelService) throws -> [Int32] {
        let text = try render(fields, service)
        let ids = service.tokenizer.encode(text, addSpecial: false, parseSpecial: true)
        guard !ids.isEmpty else { throw APIError.invalid("the rendered conversation is empty", param: "messages") }
        return ids
    }

    static func render(_ fields: RequestFields, _ service: ModelService) throws -> String {
        guard let template = service.template else {
            throw APIError.invalid("this model has no chat template (tokenizer.chat_template); use /v1/completions", param: "messages")
        }
        guard case .array(let list)? = fields["messages"], !list.isEmpty else {
            throw APIError.invalid("'messages' must be a non-empty array", param: "messages")
        }
        let messages: [TemplateValue] = try list.enumerated().map { i, m in
            let mf = RequestFields(object: m)
            guard case .object = m else { throw APIError.invalid("messages[\(i)] must be an object", param: "messages") }
            guard let role = try? mf.string("role"), ["system", "user", "assistant", "tool", "developer"].contains(role) else {
                throw APIError.invalid("messages[\(i)].role must be one of system, user, assistant, tool, developer", param: "messages")
            }
            let content: String
            switch m["content"] {
            case .string(let s)?: content = s
            case .array(let parts)?:
                content = try parts.map { part -> String in
                    guard case .object = part, part["type"]?.stringValue == "text", let t = part["text"]?.stringValue else {
                        throw APIError.invalid("messages[\(i)].content parts must be {\"type\":\"text\",\"text\":…}; images and audio are not supported", param: "messages")
                    }
                    return t
                }.joined(separator: "\n")
            case nil, .null?:
                guard role == "assistant" else { throw APIError.invalid("messages[\(i)].content is required", param: "messages") }
                content = ""
            default: throw APIError.invalid("messages[\(i)].content must be a string or an array of text parts", param: "messages")
            }
            var entry: [(String, TemplateValue)] = [("role", .string(role)), ("content", .string(content))]
            if let name = try? mf.string("name") { entry.append(("name", .string(name))) }
            return .object(entry)
        }
        let addGenerationPrompt = try fields.bool("add_generation_prompt") ?? true
        do {
            return try template.render([
                "messages": .array(messages), "add_generation_prompt": .bool(addGenerationPrompt),
                "bos_token": .string(service.bosToken), "eos_token": .string(service.eosToken),
            ])
        } catch let e as TemplateError {
            if case .raised(let message) = e { throw APIError.invalid("the chat template refused the conversation: \(message)", param: "messages") }
            throw APIError(status: 500, message: "the model's chat template failed: \(e)", type: "server_error")
        }
    }
}
