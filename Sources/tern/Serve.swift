import ArgumentParser
import Engine
import Foundation
import HTTP
import Loader
import Logging
import OpenAIAPI

/// `tern serve`: the OpenAI-compatible HTTP server.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the model over an OpenAI-compatible HTTP API.",
        discussion: "Settings come from the defaults, then --config FILE (JSON, see Config/tern.json), then TERN_<SETTING> environment variables (e.g. TERN_API_KEY), then these flags.")

    @OptionGroup var options: ModelOptions
    @Option(help: "A JSON settings file (see Config/tern.json).") var config: String?
    @Option(help: "Address to bind (default 127.0.0.1).") var host: String?
    @Option(help: "Port (default 8080).") var port: Int?
    @Option(help: "Require this bearer key on every route but /health (env TERN_API_KEY).") var apiKey: String?
    @Option(help: "Allow cross-origin requests from this origin (default: CORS off).") var corsOrigin: String?
    @Option(help: "The model id clients use (default: the file name without .gguf, or the repo id as given).") var servedModelName: String?
    @Option(help: "Most sequences in one batch (default 32).") var maxNumSeqs: Int?
    @Option(help: "Token budget of one step (default 256: on CPU, prefill runs near full speed from about 128 rows, and smaller steps let the first prompts start answering while others wait).") var maxNumBatchedTokens: Int?
    @Option(help: "Longest prompt + completion (default: the model's context, capped by the KV pool).") var maxModelLen: Int?
    @Option(help: "Tokens per KV block (default 16).") var blockSize: Int?
    @Option(help: "Memory for the KV cache, e.g. 1GiB or 512MiB (default 1GiB).") var kvCacheMemory: String?
    @Option(help: "Requests that may wait beyond max-num-seqs before new ones get 429 (default 256).") var maxWaiting: Int?
    @Flag(help: "Turn prefix caching off.") var noPrefixCaching = false
    @Option(help: "Speculative decoding, as JSON with vLLM's keys: '{\"method\": \"ngram\", \"num_speculative_tokens\": 4, \"prompt_lookup_max\": 4}' (prompt lookup) or '{\"model\": \"draft.gguf\", \"num_speculative_tokens\": 4}' (a draft model with the same tokenizer); also prompt_lookup_min and disable_by_batch_size (default 4). Outputs are unchanged; default off.")
    var speculativeConfig: String?
    @Flag(help: "Do not serve the chat page at / (then / is 404).") var noUi = false

    func settings() throws -> ServeSettings {
        var s = ServeSettings()
        if let config { try s.load(file: config) }
        try s.loadEnvironment()
        let flags: [(String, (any CustomStringConvertible)?)] = [
            ("host", host), ("port", port), ("api_key", apiKey), ("cors_origin", corsOrigin), ("served_model_name", servedModelName),
            ("max_num_seqs", maxNumSeqs), ("max_num_batched_tokens", maxNumBatchedTokens), ("max_model_len", maxModelLen),
            ("block_size", blockSize), ("kv_cache_memory", kvCacheMemory), ("max_waiting", maxWaiting),
            ("speculative_config", speculativeConfig),
        ]
        for case let (key, value?) in flags { try s.set(key, value.description, source: "--" + key.replacingOccurrences(of: "_", with: "-")) }
        if noPrefixCaching { s.enablePrefixCaching = false }
        if noUi { s.ui = false }
        guard s.maxNumSeqs >= 1, s.blockSize >= 1, s.maxNumBatchedTokens >= 1 else {
            throw ValidationError("max_num_seqs, block_size and max_num_batched_tokens must be positive")
        }
        return s
    }

    mutating func run() throws {
        let s = try settings()
        var log = Logger(label: "tern")
        log.logLevel = .info
        let access = Logger(label: "tern.access")
        let api = OpenAIServer(config: APIConfig(apiKey: s.apiKey, corsOrigin: s.corsOrigin, chatPage: s.ui, maxStoredResponses: s.maxStoredResponses))
        var httpConfig = HTTPServerConfig()
        httpConfig.host = s.host
        httpConfig.port = s.port
        httpConfig.limits.maxBodyBytes = s.maxBodyBytes
        httpConfig.maxConnections = s.maxConnections
        httpConfig.maxConnectionsPerAddress = s.maxConnectionsPerAddress
        httpConfig.capLoopbackConnections = s.capLoopbackConnections
        httpConfig.headerTimeout = s.headerTimeout
        httpConfig.bodyTimeout = s.bodyTimeout
        httpConfig.bodyMinRate = s.bodyMinRate
        let server = HTTPServer(config: httpConfig, router: api.router) { request, status, bytes, seconds in
            access.info("\(request.method) \(request.target) \(request.version) \(status) \(bytes) \(String(format: "%.3f", seconds))s id=\(request.requestID ?? "-")")
        }
        let port = try server.start()
        log.info("listening on http://\(s.host):\(port) (loading the model; /health answers 503 until ready)\(s.ui ? "; chat page at /" : "")")
        if s.apiKey == nil && !(s.host == "localhost" || s.host == "::1" || s.host.hasPrefix("127.")) {
            log.warning("listening on \(s.host), beyond this machine, without an API key: anyone who can reach it may use it (set --api-key or TERN_API_KEY)")
        }

        let loaded = try options.load()
        let draft = try s.speculativeConfig.flatMap { try options.loadDraft($0, for: loaded) }
        var sized = try loaded.schedulerConfig(kvCacheMemory: s.kvCacheMemory, blockSize: s.blockSize, maxModelLen: s.maxModelLen,
                                               maxNumSeqs: s.maxNumSeqs, maxNumBatchedTokens: s.maxNumBatchedTokens,
                                               enablePrefixCaching: s.enablePrefixCaching, draft: draft)
        sized.config.speculative = s.speculativeConfig
        if let warning = sized.warning { log.warning("\(warning)") }
        if let spec = s.speculativeConfig {
            let who = spec.method == .ngram ? "prompt lookup (n-grams of \(spec.promptLookupMin)…\(spec.promptLookupMax))" : "draft model \(spec.model ?? "")"
            log.info("speculative decoding: \(who), \(spec.numSpeculativeTokens) guesses per step while at most \(spec.disableByBatchSize) requests run or wait")
        }
        let engine = loaded.makeEngine(sized.config, draft: draft)
        let name = try s.servedModelName ?? ModelReference(options.model).servedName(as: options.model)
        api.service = ModelService(modelName: name, engine: engine, tokenizer: loaded.tokenizer, template: loaded.template,
                                   maxWaiting: s.maxWaiting, samplingDefaults: loaded.samplingDefaults, eosTokenIDs: loaded.eosTokenIDs,
                                   systemFingerprint: loaded.systemFingerprint(kvCacheDType: sized.config.kvCacheDType))
        let c = sized.config
        let layout = loaded.model.kvLayout
        let tables = layout.groups.map { "\($0.tables) \($0.window.map { "of window \($0)" } ?? "full")" }.joined(separator: ", ")
        let blocks = layout.numTables == 1 ? "" : " × \(layout.pageLayers) layers, block tables: \(tables)"
        log.info("ready: model \(name), \(c.numBlocks) KV blocks of \(c.blockSize) tokens\(blocks) (\(c.kvCacheDType)), max_model_len \(c.maxModelLen), max_num_seqs \(c.maxNumSeqs)\(loaded.template == nil ? ", no chat template" : "")")

        // Graceful shutdown: drain (see ServerPhase), let requests finish until the deadline, abort the rest, exit 0.
        let stopped = DispatchSemaphore(value: 0)
        let sources = [SIGTERM, SIGINT].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stopped.signal() }
            source.resume()
            return source
        }
        withExtendedLifetime(sources) { stopped.wait() }
        log.info("draining: /health answers 503, new requests 503 with Retry-After; waiting up to \(s.shutdownTimeout) s for requests in flight")
        api.beginDrain()
        server.stop(deadline: s.shutdownTimeout) { engine.abortAll() }
        engine.shutdown()
        log.info("stopped")
    }
}
