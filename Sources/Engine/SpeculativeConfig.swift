import JSON
import Models

/// Speculative decoding, under vLLM's `--speculative-config` keys: who guesses the next tokens
/// (prompt lookup over the sequence's own tokens, or a smaller draft model), how many per step,
/// and when guessing stops paying. Guesses are deterministic (n-gram continuations, the draft
/// model's argmax), so verifying them by drawing each position from the target as usual and
/// keeping the draws while they equal the guesses leaves every output exactly what it is
/// without speculation (greedy or sampled, seeded or not).
public struct SpeculativeConfig: Sendable, Equatable {
    public enum Method: String, Sendable, CaseIterable {
        /// Prompt lookup: the continuation of the latest earlier occurrence of the last n tokens.
        case ngram
        /// A smaller model with the same vocabulary, on its own paged KV cache.
        case draft
    }

    public var method: Method
    /// Guessed tokens verified per step (k: a decoding row computes k + 1 tokens).
    public var numSpeculativeTokens: Int
    /// n-gram lengths tried, longest first.
    public var promptLookupMin: Int
    public var promptLookupMax: Int
    /// The draft model (method `draft`): a path or hub reference, loaded by the caller.
    public var model: String?
    /// Back-off: a step speculates only while at most this many requests are running or
    /// waiting; beyond, the batch alone keeps the cores busy and extra rows cost real compute.
    public var disableByBatchSize: Int

    public init(method: Method = .ngram, numSpeculativeTokens: Int = 4, promptLookupMin: Int = 1, promptLookupMax: Int = 8,
                model: String? = nil, disableByBatchSize: Int = 4) {
        self.method = method
        self.numSpeculativeTokens = numSpeculativeTokens
        self.promptLookupMin = promptLookupMin
        self.promptLookupMax = promptLookupMax
        self.model = model
        self.disableByBatchSize = disableByBatchSize
    }

    public struct Invalid: Error, CustomStringConvertible { public let description: String }

    public static let keys = ["method", "model", "num_speculative_tokens", "prompt_lookup_min", "prompt_lookup_max", "disable_by_batch_size"]

    /// Reads vLLM's JSON form, e.g. `{"method": "ngram", "num_speculative_tokens": 4, "prompt_lookup_max": 4}`.
    /// `method` defaults to `draft` when a `model` is named, else `ngram`.
    public init(json text: String) throws {
        let doc: JSONField
        do { doc = try JSONField(parsing: Array(text.utf8), name: "speculative_config") } catch { throw Invalid(description: "\(error)") }
        do {
            let fields = try doc.entries()
            if let unknown = fields.first(where: { !Self.keys.contains($0.key) }) {
                throw Invalid(description: "speculative_config: unknown key \(unknown.key); known: \(Self.keys.joined(separator: ", "))")
            }
            let model = doc["model"].isNull ? nil : try doc["model"].string()
            let methodName = doc["method"].isNull ? (model == nil ? "ngram" : "draft") : try doc["method"].string()
            guard let method = Method(rawValue: methodName) else {
                throw Invalid(description: "speculative_config.method must be one of \(Method.allCases.map(\.rawValue).joined(separator: ", ")), got '\(methodName)'")
            }
            var c = SpeculativeConfig(method: method, model: model)
            if let k = try doc["num_speculative_tokens"].optionalInt() { c.numSpeculativeTokens = k }
            if let n = try doc["prompt_lookup_max"].optionalInt() { c.promptLookupMax = n; c.promptLookupMin = min(c.promptLookupMin, n) }
            if let n = try doc["prompt_lookup_min"].optionalInt() { c.promptLookupMin = n }
            if let n = try doc["disable_by_batch_size"].optionalInt() { c.disableByBatchSize = n }
            try c.validate()
            self = c
        } catch let error as JSONFieldError {
            throw Invalid(description: error.description)
        }
    }

    /// Why `draft` cannot guess for `target`, if it cannot.
    public static func check(draft: any LanguageModel, for target: any LanguageModel) throws {
        try DraftModelProposer.check(draft, for: target)
    }

    /// Why these values cannot work, if they cannot.
    public func validate() throws {
        guard (1 ... 16).contains(numSpeculativeTokens) else {
            throw Invalid(description: "speculative_config.num_speculative_tokens must be 1…16, got \(numSpeculativeTokens)")
        }
        guard promptLookupMin >= 1, promptLookupMax >= promptLookupMin, promptLookupMax <= 64 else {
            throw Invalid(description: "speculative_config needs 1 ≤ prompt_lookup_min ≤ prompt_lookup_max ≤ 64, got \(promptLookupMin) and \(promptLookupMax)")
        }
        guard disableByBatchSize >= 1 else { throw Invalid(description: "speculative_config.disable_by_batch_size must be at least 1") }
        if method == .draft && model == nil { throw Invalid(description: "speculative_config: method draft needs a model") }
        if method == .ngram && model != nil { throw Invalid(description: "speculative_config: method ngram takes no model") }
    }
}
