import Engine
import Foundation
import HTTP
import JSON

/// OpenAI's Responses API: `POST /v1/responses` (whole, or streamed as the Responses events),
/// and for stored responses `GET /v1/responses/{id}`, `DELETE /v1/responses/{id}` and
/// `GET /v1/responses/{id}/input_items`. The request is translated to chat's fields
/// (`ResponsesRequest`) and runs as a chat request does — template, tokens, sampling,
/// structured outputs, tool calls — only the answer is shaped as a response object with
/// output items (`ResponseEvents`). A response is kept (`ResponseStore`) unless `store` is
/// false, and `previous_response_id` continues its conversation.
struct ResponsesRoute {
    let service: ModelService
    let store: ResponseStore

    func create(_ request: HTTPRequest, _ responder: HTTPResponder) throws {
        let r = try ResponsesRequest(RequestFields(request.body))
        var history: [JSON] = []
        if let previous = r.previousResponseID {
            guard let entry = store.get(previous) else {
                throw APIError.invalid("Previous response with id '\(previous)' not found.", param: "previous_response_id",
                                       code: "previous_response_not_found")
            }
            history = entry.history
        }
        let job: GenerationJob, calls: ToolFormat?
        do {
            (job, calls) = try ChatRoute.job(r.chat(history: history), service)
        } catch let e as APIError {
            throw ResponsesRequest.renamed(e)
        }
        let id = ResponseEvents.newID("resp"), created = Int(Date().timeIntervalSince1970)
        let inputTokens = job.prompts[0].count
        var events = ResponseEvents(calls: calls)
        func object(_ status: String, _ choice: Choice? = nil, error: JSON = .null) -> JSON {
            let done = choice != nil
            let usage: JSON = choice.map { c in
                .object([("input_tokens", .int(inputTokens)), ("input_tokens_details", .object([("cached_tokens", .int(0))])),
                         ("output_tokens", .int(c.tokenIDs.count)), ("output_tokens_details", .object([("reasoning_tokens", .int(0))])),
                         ("total_tokens", .int(inputTokens + c.tokenIDs.count))])
            } ?? .null
            let incomplete: JSON = status == "incomplete" ? .object([("reason", .string("max_output_tokens"))]) : .null
            return .object([
                ("id", .string(id)), ("object", .string("response")), ("created_at", .int(created)), ("status", .string(status)),
                ("background", .bool(false)), ("error", error), ("incomplete_details", incomplete),
                ("model", .string(service.modelName)), ("output", .array(done ? events.output : [])),
                ("reasoning", .object([("effort", .null), ("summary", .null)])), ("service_tier", .string("default")),
                ("temperature", .float(job.options.sampling.temperature)), ("top_p", .float(job.options.sampling.topP)),
                ("top_logprobs", .int(0)), ("usage", usage),
            ] + r.echo + (status == "completed" ? [("completed_at", .int(Int(Date().timeIntervalSince1970)))] : []))
        }
        /// The finished response, kept unless `store` is false.
        func finish(_ choice: Choice) -> JSON {
            let response = object(choice.finishReason == "length" ? "incomplete" : "completed", choice)
            if r.store {
                store.put(id, ResponseStore.Entry(response: response, inputItems: r.inputItems, history: history + r.messages + [turn(events)]))
            }
            return response
        }
        guard r.stream else {
            _ = events.opening()
            let choices = try job.generation.run(onClientGone: responder.onPeerClosed) { delta, _ in
                _ = events.take(delta.text, finish: delta.finishReason)
            }
            responder.send(jsonResponse(finish(choices[0])))
            return
        }
        let sse = SSEWriter(responder: responder)
        func send(_ event: JSON) throws { try sse.send(event: event["type"]?.stringValue ?? "", event.serialized) }
        try sse.open()
        try send(events.event("response.created", [("response", object("in_progress"))]))
        try send(events.event("response.in_progress", [("response", object("in_progress"))]))
        do {
            // The output opens with the first delta: a request the engine refuses (a full server) fails with no item begun.
            var opened = false
            let choices = try job.generation.run(onClientGone: responder.onPeerClosed) { delta, _ in
                if !opened { opened = true; for e in events.opening() { try send(e) } }
                for e in events.take(delta.text, finish: delta.finishReason) { try send(e) }
            }
            let response = finish(choices[0])
            let status = response["status"]?.stringValue ?? "completed"
            try send(events.event("response.\(status)", [("response", response)]))
        } catch is ClientGone {
            return
        } catch {
            // A write that failed because the client left; else the error goes out as the failed response's.
            if !(error is APIError), responder.isPeerClosed { return }
            let e = APIError.server(error)
            let code = e.status == 429 ? "rate_limit_exceeded" : e.status < 500 ? "invalid_prompt" : "server_error"
            let failed = object("failed", error: .object([("code", .string(code)), ("message", .string(e.message))]))
            try? send(events.event("response.failed", [("response", failed)]))
        }
        sse.close()
    }

    /// `GET /v1/responses/{id}`: the stored response.
    func retrieve(_ request: HTTPRequest) throws -> JSON {
        try entry(request).response
    }

    /// `DELETE /v1/responses/{id}`.
    func delete(_ request: HTTPRequest) throws -> JSON {
        let id = try Self.id(request)
        guard store.remove(id) else { throw Self.notFound(id) }
        return .object([("id", .string(id)), ("object", .string("response.deleted")), ("deleted", .bool(true))])
    }

    /// `GET /v1/responses/{id}/input_items`: the request's input items, a page at a time
    /// (`limit` 1–100, default 20; `order` `desc` (default) or `asc`; `after` an item id).
    func inputItems(_ request: HTTPRequest) throws -> JSON {
        var items = try entry(request).inputItems
        let query = Self.query(request.target)
        let limit = try query["limit"].map { text -> Int in
            guard let n = Int(text), (1 ... 100).contains(n) else { throw APIError.invalid("'limit' must be an integer in 1...100", param: "limit") }
            return n
        } ?? 20
        switch query["order"] ?? "desc" {
        case "desc": items.reverse()
        case "asc": break
        default: throw APIError.invalid("'order' must be 'asc' or 'desc'", param: "order")
        }
        if let after = query["after"] {
            guard let i = items.firstIndex(where: { $0["id"]?.stringValue == after }) else {
                throw APIError.invalid("'after' names no input item of this response", param: "after")
            }
            items.removeFirst(i + 1)
        }
        let page = Array(items.prefix(limit))
        return .object([("object", .string("list")), ("data", .array(page)),
                        ("first_id", page.first?["id"] ?? .null), ("last_id", page.last?["id"] ?? .null),
                        ("has_more", .bool(items.count > limit))])
    }

    private func entry(_ request: HTTPRequest) throws -> ResponseStore.Entry {
        let id = try Self.id(request)
        guard let entry = store.get(id) else { throw Self.notFound(id) }
        return entry
    }

    /// The output as the assistant turn of the stored conversation: its text and the calls
    /// whose arguments are a whole JSON object (a call cut off by the length limit is dropped).
    private func turn(_ events: ResponseEvents) -> JSON {
        let calls: [JSON] = events.calls.compactMap { call in
            guard case .object? = try? JSONParser.parse(Array(call.arguments.utf8)) else { return nil }
            return .object([("id", .string(call.id)), ("type", .string("function")),
                            ("function", .object([("name", .string(call.name)), ("arguments", .string(call.arguments))]))])
        }
        return .object([("role", .string("assistant")), ("content", .string(events.text))] + (calls.isEmpty ? [] : [("tool_calls", .array(calls))]))
    }

    /// The `{id}` of `/v1/responses/{id}…`.
    private static func id(_ request: HTTPRequest) throws -> String {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count > 3, let id = String(parts[3]).removingPercentEncoding, !id.isEmpty else {
            throw APIError.invalid("the path needs a response id: /v1/responses/{id}")
        }
        return id
    }

    private static func notFound(_ id: String) -> APIError {
        APIError(status: 404, message: "Response with id '\(id)' not found.", type: "invalid_request_error", param: "response_id", code: "not_found")
    }

    /// The query string's parameters (percent-decoded; the last of a repeated name).
    private static func query(_ target: String) -> [String: String] {
        guard let q = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
        var out: [String: String] = [:]
        for pair in q.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
            out[kv[0]] = kv.count > 1 ? kv[1] : ""
        }
        return out
    }
}
