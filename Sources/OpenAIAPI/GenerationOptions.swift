import Engine

/// The generation fields both routes share, validated: sampling, length, stops, `n`,
/// streaming and logprobs. Sampling fields a request leaves out take the model's defaults
/// (a checkpoint's generation_config.json), else OpenAI's (temperature 1, top_p 1).
struct GenerationOptions {
    var sampling = SamplingParams()
    /// nil: the route's default (completions 16, chat the rest of the context).
    var maxTokens: Int?
    var n = 1
    var stop: [String] = []
    var stopTokenIDs: Set<Int32> = []
    var ignoreEOS = false
    var stream = false
    var includeUsage = false
    /// Alternatives per token to report (nil: no logprobs).
    var logprobs: Int?
    /// What the output must match (nil: free text).
    var format: OutputFormat?
    /// Tern's `speculative` field: false keeps this request out of speculative decoding (its
    /// output is the same either way; only the compute spent on guesses differs).
    var speculative = true

    init(_ f: RequestFields, vocabularySize: Int, chat: Bool, defaults: SamplingParams = SamplingParams()) throws {
        sampling = defaults
        if let t = try f.number("temperature", in: 0 ... 2) { sampling.temperature = Float(t) }
        if let p = try f.number("top_p", in: 0 ... 1, openLower: true) { sampling.topP = Float(p) }
        if let k = try f.int("top_k", in: -1 ... vocabularySize) { sampling.topK = max(0, k) }
        if let m = try f.number("min_p", in: 0 ... 1) { sampling.minP = Float(m) }
        if let p = try f.number("presence_penalty", in: -2 ... 2) { sampling.presencePenalty = Float(p) }
        if let p = try f.number("frequency_penalty", in: -2 ... 2) { sampling.frequencyPenalty = Float(p) }
        if let p = try f.number("repetition_penalty", in: 0 ... 10, openLower: true) { sampling.repetitionPenalty = Float(p) }
        if let s = try f.int("seed", in: Int(Int64.min) ... Int(Int64.max)) { sampling.seed = UInt64(bitPattern: Int64(s)) }
        if let bias = f["logit_bias"] {
            guard case .object(let entries) = bias else { throw APIError.invalid("'logit_bias' must be an object of token id → bias", param: "logit_bias") }
            for (key, value) in entries {
                guard let id = Int32(key), id >= 0, Int(id) < vocabularySize else {
                    throw APIError.invalid("'logit_bias' key \(key) is not a token id of this model (0..<\(vocabularySize))", param: "logit_bias")
                }
                guard let b = value.doubleValue, (-100 ... 100).contains(b) else {
                    throw APIError.invalid("'logit_bias' values must be numbers in [-100, 100]", param: "logit_bias")
                }
                sampling.logitBias[id] = Float(b)
            }
        }
        let lengthField = chat && f["max_completion_tokens"] != nil ? "max_completion_tokens" : "max_tokens"
        maxTokens = try f.int(lengthField, in: 1 ... 1 << 30)
        n = try f.int("n", in: 1 ... 16) ?? 1
        stop = try f.strings("stop", maxCount: 16) ?? []
        stopTokenIDs = Set(try f.ints("stop_token_ids", in: 0 ... vocabularySize - 1)?.map { Int32($0) } ?? [])
        ignoreEOS = try f.bool("ignore_eos") ?? false
        speculative = try f.bool("speculative") ?? true
        stream = try f.bool("stream") ?? false
        if let options = f["stream_options"] {
            guard case .object = options else { throw APIError.invalid("'stream_options' must be an object", param: "stream_options") }
            includeUsage = try RequestFields(object: options).bool("include_usage") ?? false
        }
        if chat {
            let wanted = try f.bool("logprobs") ?? false
            let top = try f.int("top_logprobs", in: 0 ... 20)
            if top != nil && !wanted { throw APIError.invalid("'top_logprobs' needs 'logprobs' set to true", param: "top_logprobs") }
            logprobs = wanted ? (top ?? 0) : nil
        } else {
            logprobs = try f.int("logprobs", in: 0 ... 5)
        }
        format = try OutputFormat.parse(f)
        // best_of (vLLM, legacy OpenAI): ranking extra samples is not done, so only best_of == n is accepted.
        if let bestOf = try f.int("best_of", in: 1 ... 16), bestOf != n {
            throw APIError.invalid("'best_of' \(bestOf) is not supported: sequences are not ranked, so best_of must equal n (\(n)) or be left out",
                                   param: "best_of")
        }
        if !chat {
            if let tools = f["tools"], tools != .array([]) {
                throw APIError.invalid("tools are a chat feature: use /v1/chat/completions", param: "tools")
            }
            if let choice = f["tool_choice"], choice != .string("none"), choice != .string("auto") {
                throw APIError.invalid("tool_choice is a chat feature: use /v1/chat/completions", param: "tool_choice")
            }
            // Fill-in-the-middle needs a model trained with FIM tokens and its prompt layout; not served.
            if let suffix = try f.string("suffix"), !suffix.isEmpty {
                throw APIError.invalid("'suffix' (fill-in-the-middle) is not supported", param: "suffix")
            }
        }
        _ = try f.string("user")
    }
}
