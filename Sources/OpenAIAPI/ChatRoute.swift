import ChatTemplate
import Engine
import Foundation
import HTTP
import JSON
import Tokenizers

/// `POST /v1/chat/completions`: messages → the model's chat template → tokens → generation;
/// with tools, the output is read for calls in the model's syntax (`ToolCallParser`).
struct ChatRoute {
    let service: ModelService

    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) throws {
        let (job, calls) = try Self.job(RequestFields(request.body), service)
        var streams: [Int: ToolCallStream] = [:]
        try job.answer(responder, opening: [("delta", .object([("role", .string("assistant")), ("content", .string(""))])), ("logprobs", .null)],
                       onDelta: { delta, c, send in
            if let calls {
                var stream = streams[delta.index] ?? ToolCallStream(format: calls)
                try stream.take(delta) { body, reason, range in
                    try send(body + [("logprobs", range.isEmpty ? .null : logprobs(c, range))], reason)
                }
                streams[delta.index] = stream
                return
            }
            var lp = delta.logprobs.isEmpty ? JSON.null : logprobs(c, delta.logprobs)
            if !delta.text.isEmpty {
                try send([("delta", .object([("content", .string(delta.text))])), ("logprobs", lp)], nil)
                lp = .null
            }
            if let reason = delta.finishReason { try send([("delta", .object([])), ("logprobs", lp)], reason) }
        }, item: { c in
            let lp = job.options.logprobs != nil ? logprobs(c, 0 ..< c.logprobs.count) : .null
            var message: [(String, JSON)] = [("role", .string("assistant")), ("content", .string(c.text))]
            var reason = c.finishReason ?? "stop"
            if let calls { message = ToolCallStream.message(c.text, format: calls, reason: &reason) }
            return .object([("index", .int(c.index)), ("message", .object(message)), ("logprobs", lp), ("finish_reason", .string(reason))])
        })
    }

    /// The generation job of a chat request, and the call syntax to read its output with
    /// when tools may be called (then the output is constrained to it as `tool_choice` asks).
    static func job(_ fields: RequestFields, _ service: ModelService) throws -> (GenerationJob, calls: ToolFormat?) {
        var tools: ToolRequest?
        var job = try GenerationJob(fields, service, chat: true) { f in
            let prompt = try ChatRoute.prompt(f, service)
            tools = prompt.tools
            return [prompt.ids]
        }
        var calls: ToolFormat?
        if let tools, tools.parsesCalls {
            if let format = job.options.format {
                throw APIError.invalid("'\(format.param)' cannot be combined with tools unless tool_choice is 'none'", param: format.param)
            }
            job.generation.constraint = try tools.constraint(service.grammars, tokenizer: service.tokenizer)
            calls = tools.format
        }
        try tools?.checkParameters(constrained: calls != nil && job.generation.constraint != nil, options: service.grammars.options)
        return (job, calls)
    }

    /// Chat's `logprobs` object for the choice's tokens in `range`.
    private func logprobs(_ c: Choice, _ range: Range<Int>) -> JSON {
        .object([("content", LogprobsFormat.chatContent(ids: c.tokenIDs[range], logprobs: c.logprobs[range], tokenizer: service.tokenizer)),
                 ("refusal", .null)])
    }

    /// The rendered and tokenized conversation (special-token spellings from the template
    /// become tokens; nothing is added beyond what the template writes).
    static func promptTokens(_ fields: RequestFields, _ service: ModelService) throws -> [Int32] {
        try prompt(fields, service).ids
    }

    /// The conversation's tokens and the request's tools (nil without).
    static func prompt(_ fields: RequestFields, _ service: ModelService) throws -> (ids: [Int32], tools: ToolRequest?) {
        guard let template = service.template else {
            throw APIError.invalid("this model has no chat template (tokenizer.chat_template); use /v1/completions", param: "messages")
        }
        let format = ToolFormat.detect(template: template.source)
        let tools = try ToolRequest(fields, format: format)
        var variables = try ChatPrompt(fields, tools: tools, format: format).variables
        variables["add_generation_prompt"] = .bool(try fields.bool("add_generation_prompt") ?? true)
        variables["bos_token"] = .string(service.bosToken)
        variables["eos_token"] = .string(service.eosToken)
        let text: String
        do {
            text = try template.render(variables)
        } catch let e as TemplateError {
            if case .raised(let message) = e { throw APIError.invalid("the chat template refused the conversation: \(message)", param: "messages") }
            throw APIError(status: 500, message: "the model's chat template failed: \(e)", type: "server_error")
        }
        let ids = service.tokenizer.encode(text, addSpecial: false, parseSpecial: true)
        guard !ids.isEmpty else { throw APIError.invalid("the rendered conversation is empty", param: "messages") }
        return (ids, tools)
    }
}
