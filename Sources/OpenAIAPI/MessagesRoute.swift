import Foundation
import HTTP
import JSON

/// Anthropic's Messages API: `POST /v1/messages` (whole, or streamed as Anthropic's named
/// events) and `POST /v1/messages/count_tokens`. The request is translated to chat's fields
/// (`MessagesRequest`) and runs as a chat request does — template, tokens, stops, sampling,
/// tool calls — only the answer is shaped as Anthropic's.
struct MessagesRoute {
    let service: ModelService

    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) throws {
        let chat = try MessagesRequest(RequestFields(request.body)).chat
        let (job, calls) = try ChatRoute.job(chat, service)
        let id = "msg_" + (0 ..< 3).map { _ in String(format: "%08x", UInt32.random(in: 0 ... .max)) }.joined()
        let inputTokens = job.prompts[0].count
        var blocks = MessageBlocks(calls: calls)
        func message(_ content: [JSON], _ choice: Choice?) -> JSON {
            let (reason, stop) = choice.map { stopReason($0, calls: blocks.calls) } ?? (.null, .null)
            return .object([
                ("id", .string(id)), ("type", .string("message")), ("role", .string("assistant")), ("model", .string(service.modelName)),
                ("content", .array(content)), ("stop_reason", reason), ("stop_sequence", stop),
                ("usage", .object([("input_tokens", .int(inputTokens)), ("output_tokens", .int(choice?.tokenIDs.count ?? 0))])),
            ])
        }
        guard job.options.stream else {
            _ = blocks.opening()
            let choices = try job.generation.run(onClientGone: responder.onPeerClosed) { delta, _ in
                _ = blocks.take(delta.text, finished: delta.finishReason != nil)
            }
            responder.send(jsonResponse(message(blocks.content, choices[0])))
            return
        }
        let sse = SSEWriter(responder: responder)
        func send(_ event: JSON) throws { try sse.send(event: event["type"]?.stringValue ?? "", event.serialized) }
        try sse.open()
        try send(.object([("type", .string("message_start")), ("message", message([], nil))]))
        for e in blocks.opening() { try send(e) }
        try send(.object([("type", .string("ping"))]))
        do {
            let choices = try job.generation.run(onClientGone: responder.onPeerClosed) { delta, _ in
                for e in blocks.take(delta.text, finished: delta.finishReason != nil) { try send(e) }
            }
            let (reason, stop) = stopReason(choices[0], calls: blocks.calls)
            try send(.object([("type", .string("message_delta")), ("delta", .object([("stop_reason", reason), ("stop_sequence", stop)])),
                              ("usage", .object([("output_tokens", .int(choices[0].tokenIDs.count))]))]))
            try send(.object([("type", .string("message_stop"))]))
        } catch let e as APIError {
            try? sse.send(event: "error", e.anthropicJSON.serialized)
        } catch is ClientGone {
            return
        } catch {
            if responder.isPeerClosed { return }
            try? sse.send(event: "error", APIError(status: 500, message: "\(error)", type: "server_error").anthropicJSON.serialized)
        }
        sse.close()
    }

    /// `{"input_tokens": N}`: the length of the conversation as the chat template renders it.
    func countTokens(_ request: HTTPRequest) throws -> JSON {
        let chat = try MessagesRequest(RequestFields(request.body), countOnly: true).chat
        try GenerationJob.checkModel(chat, service)
        return .object([("input_tokens", .int(try ChatRoute.promptTokens(chat, service).count))])
    }

    /// Anthropic's `stop_reason` and `stop_sequence` for a finished choice.
    private func stopReason(_ c: Choice, calls: Int) -> (JSON, JSON) {
        if let s = c.stopMatcher.matched { return (.string("stop_sequence"), .string(s)) }
        if c.finishReason == "length" { return (.string("max_tokens"), .null) }
        return (.string(calls > 0 ? "tool_use" : "end_turn"), .null)
    }
}
