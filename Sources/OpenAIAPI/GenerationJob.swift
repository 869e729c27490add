import Foundation
import HTTP
import JSON

/// What both generation routes do with a request: parse it, check the model, validate the
/// shared fields, tokenize the prompts and check them against the context; then answer with
/// server-sent events or one JSON object, the route shaping each choice.
struct GenerationJob {
    /// Sends one streamed chunk of the current choice: its body fields and finish reason.
    typealias Send = ([(String, JSON)], String?) throws -> Void

    let options: GenerationOptions
    let prompts: [[Int32]]
    var generation: Generation
    private let chat: Bool
    /// The envelope every response object and chunk of the request shares (with its `object`).
    private let id: String, created: Int, model: String, fingerprint: String

    /// `prompts` reads the route's own fields after the shared ones and returns the token ids
    /// of each prompt. `chat` selects chat's fields, names and default length (the rest of
    /// the context; completions: 16 tokens).
    init(_ request: HTTPRequest, _ service: ModelService, chat: Bool, prompts: (RequestFields) throws -> [[Int32]]) throws {
        try self.init(RequestFields(request.body), service, chat: chat, prompts: prompts)
    }

    /// The same from fields already parsed (another API's request translated to chat's fields).
    init(_ fields: RequestFields, _ service: ModelService, chat: Bool, prompts: (RequestFields) throws -> [[Int32]]) throws {
        try Self.checkModel(fields, service)
        guard service.engine.generates else {
            throw APIError.invalid("the model `\(service.modelName)` is an embedding (encoder) model: it answers /v1/embeddings only, "
                                   + "not completions or chat", param: "model", code: "model_not_supported")
        }
        options = try GenerationOptions(fields, vocabularySize: service.tokenizer.vocabularySize, chat: chat, defaults: service.samplingDefaults)
        self.prompts = try prompts(fields)
        let maxTokens = options.maxTokens ?? (chat ? max(1, service.maxModelLen - self.prompts[0].count) : 16)
        for p in self.prompts where p.count + maxTokens > service.maxModelLen {
            throw APIError.invalid("This model's maximum context length is \(service.maxModelLen) tokens. However, you requested "
                                   + "\(p.count + maxTokens) tokens (\(p.count) in the prompt, \(maxTokens) for the completion). "
                                   + "Please reduce the prompt or max_tokens.", param: "max_tokens", code: "context_length_exceeded")
        }
        self.chat = chat
        id = (chat ? "chatcmpl-" : "cmpl-") + (0 ..< 3).map { _ in String(format: "%08x", UInt32.random(in: 0 ... .max)) }.joined()
        created = Int(Date().timeIntervalSince1970)
        model = service.modelName
        fingerprint = service.systemFingerprint
        generation = Generation(service: service, options: options, prompts: self.prompts, maxTokens: maxTokens, baseID: id)
        generation.constraint = try options.format.map { try service.grammars.constraint($0) }
    }

    /// A 404 when the request names a model other than the one served.
    static func checkModel(_ fields: RequestFields, _ service: ModelService) throws {
        if let model = try fields.string("model"), model != service.modelName {
            throw APIError(status: 404, message: "The model `\(model)` does not exist; this server serves `\(service.modelName)`.",
                           type: "invalid_request_error", param: "model", code: "model_not_found")
        }
    }

    /// Not streamed: one object of every choice's `item`. Streamed: `opening` for every choice,
    /// then `onDelta` per delta of a choice (with `send` for its chunks), the usage chunk when
    /// asked for, and `data: [DONE]`. An error after the stream began goes out as
    /// `data: {"error":…}`; a client that left ends it without more writes.
    func answer(_ responder: HTTPResponder, opening: [(String, JSON)]? = nil, onDelta: (ChoiceDelta, Choice, Send) throws -> Void,
                item: (Choice) -> JSON) throws {
        guard options.stream else {
            let choices = try generation.run(onClientGone: responder.onPeerClosed) { _, _ in }
            let whole = head(chat ? "chat.completion" : "text_completion") + [("choices", .array(choices.map(item))), ("usage", usage(choices))]
            responder.send(jsonResponse(.object(whole)))
            return
        }
        let sse = SSEWriter(responder: responder), object = chat ? "chat.completion.chunk" : "text_completion"
        try sse.open()
        func send(_ choice: Int, _ body: [(String, JSON)], _ finish: String?) throws {
            let c: JSON = .object([("index", .int(choice))] + body + [("finish_reason", finish.map { .string($0) } ?? .null)])
            try sse.send(JSON.object(head(object) + [("choices", .array([c]))] + (options.includeUsage ? [("usage", .null)] : [])).serialized)
        }
        if let opening {
            for c in 0 ..< prompts.count * options.n { try send(c, opening, nil) }
        }
        do {
            let choices = try generation.run(onClientGone: responder.onPeerClosed) { delta, choice in
                try onDelta(delta, choice) { try send(delta.index, $0, $1) }
            }
            if options.includeUsage { try sse.send(JSON.object(head(object) + [("choices", .array([])), ("usage", usage(choices))]).serialized) }
        } catch let e as APIError {
            try? sse.send(e.json.serialized)
        } catch is ClientGone {
            return
        } catch {
            if responder.isPeerClosed { return }
            try? sse.send(APIError.server(error).json.serialized)
        }
        try? sse.done()
    }

    private func head(_ object: String) -> [(String, JSON)] {
        [("id", .string(id)), ("object", .string(object)), ("created", .int(created)), ("model", .string(model)),
         ("system_fingerprint", .string(fingerprint))]
    }

    private func usage(_ choices: [Choice]) -> JSON {
        let p = prompts.reduce(0) { $0 + $1.count }
        let c = choices.reduce(0) { $0 + $1.tokenIDs.count }
        return .object([("prompt_tokens", .int(p)), ("completion_tokens", .int(c)), ("total_tokens", .int(p + c))])
    }
}
