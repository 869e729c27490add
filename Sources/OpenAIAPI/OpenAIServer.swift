import Engine
import Foundation
import HTTP
// Request and response bodies are `JSON` values: whoever uses the API gets the type with it.
@_exported import JSON

/// Access settings of the API.
public struct APIConfig: Sendable {
    /// When set, every route but `/health` needs `Authorization: Bearer <key>` (or Anthropic's `x-api-key: <key>`).
    public var apiKey: String?
    /// When set, responses carry CORS headers for this origin and preflights are answered.
    public var corsOrigin: String?
    /// Serve the chat page at `/` (it loads without the key, then asks for it).
    public var chatPage: Bool
    /// How many Responses API responses are kept in memory for retrieval and `previous_response_id`
    /// (the least recently used are dropped first; 0 keeps none).
    public var maxStoredResponses: Int

    public init(apiKey: String? = nil, corsOrigin: String? = nil, chatPage: Bool = true, maxStoredResponses: Int = 1000) {
        self.apiKey = apiKey
        self.corsOrigin = corsOrigin
        self.chatPage = chatPage
        self.maxStoredResponses = maxStoredResponses
    }
}

/// The OpenAI-style routes over a `ModelService` that may still be loading (then every
/// model route answers 503 and `/health` says so).
public final class OpenAIServer: @unchecked Sendable {
    public let config: APIConfig
    private let lock = NSLock()
    private var loaded: ModelService?
    private var draining = false
    /// The Responses API's stored responses.
    private let responses: ResponseStore

    public init(config: APIConfig) {
        self.config = config
        responses = ResponseStore(capacity: config.maxStoredResponses)
    }

    public var phase: ServerPhase {
        lock.lock(); defer { lock.unlock() }
        return draining ? .draining : loaded == nil ? .loading : .ready
    }

    /// From now on `/health` answers 503 and new model requests get 503 with `Retry-After`
    /// (requests already running are not touched); call before `HTTPServer.stop`.
    public func beginDrain() { lock.lock(); draining = true; lock.unlock() }

    public var service: ModelService? {
        get { lock.lock(); defer { lock.unlock() }; return loaded }
        set { lock.lock(); loaded = newValue; lock.unlock() }
    }

    public var router: Router {
        var router = Router { status, message in APIError.http(status, message).response }
        // The key is checked before the route is looked up: without it, routes cannot be discovered
        // (404/405); /health, /live, the chat page and CORS preflights stay open. Every answer, 404 included, carries CORS.
        router.admit = { [self] request, responder in
            setCORS(responder)
            if ["/health", "/live"].contains(request.path) || (request.path == "/" && config.chatPage) || (request.method == "OPTIONS" && config.corsOrigin != nil) { return true }
            return authorize(request, responder, request.path.hasPrefix("/v1/messages") ? .anthropic : .openAI)
        }
        let responses = responses
        let routes: [(String, String, @Sendable (ModelService, HTTPRequest, HTTPResponder) throws -> Void)] = [
            ("POST", "/v1/completions", { s, q, r in try CompletionsRoute(service: s).handle(q, r) }),
            ("POST", "/v1/messages", { s, q, r in try MessagesRoute(service: s).handle(q, r) }),
            ("POST", "/v1/messages/count_tokens", { s, q, r in r.send(jsonResponse(try MessagesRoute(service: s).countTokens(q))) }),
            ("POST", "/v1/chat/completions", { s, q, r in try ChatRoute(service: s).handle(q, r) }),
            ("POST", "/v1/responses", { s, q, r in try ResponsesRoute(service: s, store: responses).create(q, r) }),
            ("GET", "/v1/responses/{id}", { s, q, r in r.send(jsonResponse(try ResponsesRoute(service: s, store: responses).retrieve(q))) }),
            ("DELETE", "/v1/responses/{id}", { s, q, r in r.send(jsonResponse(try ResponsesRoute(service: s, store: responses).delete(q))) }),
            ("GET", "/v1/responses/{id}/input_items", { s, q, r in
                r.send(jsonResponse(try ResponsesRoute(service: s, store: responses).inputItems(q)))
            }),
            ("POST", "/v1/embeddings", { s, q, r in try EmbeddingsRoute(service: s).handle(q, r) }),
            ("GET", "/v1/models", { s, _, r in r.send(jsonResponse(Self.models(s))) }),
            ("POST", "/tokenize", { s, q, r in r.send(jsonResponse(try Self.tokenize(s, q))) }),
            ("POST", "/detokenize", { s, q, r in r.send(jsonResponse(try Self.detokenize(s, q))) }),
            ("GET", "/metrics", { s, _, r in
                r.send(HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: s.metrics.render(s.engine.statistics)))
            }),
        ]
        for (method, path, body) in routes {
            let shape: ErrorShape = path.hasPrefix("/v1/messages") ? .anthropic : .openAI
            router.add(method, path) { [self] request, responder in
                let phase = phase
                guard phase == .ready, let service else {
                    let message = phase == .loading ? "the model is still loading" : "the server is shutting down; retry on another replica"
                    responder.send(APIError(status: 503, message: message, type: "server_error", retryAfter: 1).response(shape))
                    return
                }
                do {
                    try body(service, request, responder)
                } catch is ClientGone {
                    responder.abandon()
                } catch let e as APIError {
                    responder.send(e.response(shape))
                } catch {
                    responder.send(APIError.server(error).response(shape))
                }
            }
            if config.corsOrigin != nil { router.add("OPTIONS", path) { [self] q, r in preflight(q, r) } }
        }
        router.add("GET", "/health") { [self] _, responder in
            let phase = phase
            responder.send(HTTPResponse(status: phase == .ready ? 200 : 503, contentType: "application/json", body: phase.body,
                                        headers: phase == .ready ? [] : [("Retry-After", "1")]))
        }
        if config.chatPage { router.add("GET", "/") { _, responder in responder.send(ChatPage.response()) } }
        router.add("GET", "/live") { [self] _, responder in
            responder.send(HTTPResponse(status: 200, contentType: "application/json", body: phase.body))
        }
        return router
    }

    private func setCORS(_ responder: HTTPResponder) {
        if let origin = config.corsOrigin { responder.extraHeaders = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"), ("Access-Control-Expose-Headers", "X-Request-Id")] }
    }

    private func preflight(_ request: HTTPRequest, _ responder: HTTPResponder) {
        responder.send(HTTPResponse(status: 204, headers: [
            ("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"),
            ("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id, X-Session-Id, X-Api-Key, Anthropic-Version"),
            ("Access-Control-Max-Age", "600"),
        ]))
    }

    /// Checks the bearer key or `x-api-key` (constant time); answers 401 in the route's error shape
    /// and returns false if it is wrong.
    private func authorize(_ request: HTTPRequest, _ responder: HTTPResponder, _ shape: ErrorShape) -> Bool {
        guard let key = config.apiKey else { return true }
        let bearer = request.header("Authorization").flatMap { h -> String? in
            let parts = h.split(separator: " ", maxSplits: 1)
            return parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : nil
        }
        guard let given = bearer ?? request.header("x-api-key") else {
            responder.send(APIError.http(401, "missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'").response(shape))
            return false
        }
        let a = Array(given.utf8), b = Array(key.utf8)
        var diff = a.count ^ b.count
        for i in 0 ..< max(a.count, b.count) { diff |= Int((i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)) }
        if diff != 0 {
            responder.send(APIError.http(401, "incorrect API key").response(shape))
            return false
        }
        return true
    }

    static func models(_ s: ModelService) -> JSON {
        .object([("object", .string("list")), ("data", .array([.object([
            ("id", .string(s.modelName)), ("object", .string("model")), ("created", .int(s.created)),
            ("owned_by", .string("tern")), ("max_model_len", .int(s.maxModelLen)),
        ])]))])
    }

    static func tokenize(_ s: ModelService, _ request: HTTPRequest) throws -> JSON {
        let f = try RequestFields(request.body)
        let ids: [Int32]
        if f["messages"] != nil {
            ids = try ChatRoute.promptTokens(f, s)
        } else if let prompt = try f.string("prompt") {
            ids = s.tokenizer.encode(prompt, addSpecial: try f.bool("add_special_tokens") ?? true, parseSpecial: true)
        } else {
            throw APIError.invalid("'prompt' (a string) or 'messages' is required", param: "prompt")
        }
        return .object([("tokens", .array(ids.map { .int(Int($0)) })), ("count", .int(ids.count)), ("max_model_len", .int(s.maxModelLen))])
    }

    static func detokenize(_ s: ModelService, _ request: HTTPRequest) throws -> JSON {
        let f = try RequestFields(request.body)
        guard let ids = try f.ints("tokens", in: 0 ... s.tokenizer.vocabularySize - 1) else {
            throw APIError.invalid("'tokens' (an array of token ids) is required", param: "tokens")
        }
        return .object([("prompt", .string(s.tokenizer.decode(ids.map { Int32($0) })))])
    }
}

func jsonResponse(_ value: JSON) -> HTTPResponse {
    HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(value.serialized.utf8))
}
