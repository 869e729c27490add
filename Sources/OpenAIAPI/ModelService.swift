import ChatTemplate
import Engine
import Foundation
import Grammar
import Tokenizers

/// The served model as the front end sees it: engine, tokenizer, chat template, limits,
/// and the admission counter that bounds the waiting queue.
public final class ModelService: @unchecked Sendable {
    public let modelName: String
    public let engine: EngineCore
    public let tokenizer: any Tokenizer
    public let template: ChatTemplate?
    public let bosToken: String
    public let eosToken: String
    public let maxModelLen: Int
    /// Requests beyond `maxNumSeqs` that may wait; more get 429.
    public let maxWaiting: Int
    /// Sampling for the fields a request leaves out (a checkpoint's generation_config.json).
    public let samplingDefaults: SamplingParams
    /// Every token that ends generation: the tokenizer's and generation_config.json's eos_token_id.
    public let eosTokenIDs: Set<Int32>
    public let created = Int(Date().timeIntervalSince1970)
    /// OpenAI's `system_fingerprint` of every response: what answers depend on besides the
    /// request (`LoadedModel.systemFingerprint`).
    public let systemFingerprint: String
    /// Whether embeddings may be cut to fewer `dimensions` (Matryoshka-trained models only).
    public var truncatableEmbeddings = false
    var embeddingWidth: Int { engine.embeddingWidth }
    let metrics: Metrics
    /// Compiled output grammars (structured outputs, tool calls).
    let grammars: GrammarCache
    private let lock = NSLock()
    private var inFlight = 0

    public init(modelName: String, engine: EngineCore, tokenizer: any Tokenizer, template: ChatTemplate?, maxWaiting: Int,
                samplingDefaults: SamplingParams = SamplingParams(), eosTokenIDs: Set<Int32>, systemFingerprint: String,
                grammarOptions: JSONSchemaOptions = ModelService.grammarOptions) {
        self.modelName = modelName
        self.systemFingerprint = systemFingerprint
        self.samplingDefaults = samplingDefaults
        self.eosTokenIDs = eosTokenIDs
        self.engine = engine
        self.tokenizer = tokenizer
        self.template = template
        self.maxWaiting = maxWaiting
        maxModelLen = engine.config.maxModelLen
        bosToken = tokenizer.bosTokenID.map { tokenizer.decode([$0], skipSpecial: false) } ?? ""
        eosToken = tokenizer.eosTokenID.map { tokenizer.decode([$0], skipSpecial: false) } ?? ""
        metrics = Metrics(modelName: modelName)
        grammars = GrammarCache(tokenizer: tokenizer, options: grammarOptions)
    }

    /// How schema grammars bound what a schema leaves unbounded (strings without maxLength,
    /// arrays without maxItems, extra properties, recursion), so a model repeating itself
    /// still closes its JSON: 512 characters, 64 items, 8 levels.
    public static let grammarOptions = JSONSchemaOptions(maxStringLength: 512, maxItems: 64, maxDepth: 8)

    /// Reserves room for `count` sequences, or throws 429 when the queue is full.
    func admit(_ count: Int) throws {
        lock.lock()
        defer { lock.unlock() }
        guard inFlight + count <= engine.config.maxNumSeqs + maxWaiting else {
            throw APIError(status: 429, message: "the server is at capacity (\(inFlight) sequences in flight, \(maxWaiting) may wait); retry shortly",
                           type: "rate_limit_error", retryAfter: 1)
        }
        inFlight += count
    }

    func release(_ count: Int) {
        lock.lock()
        inFlight -= count
        lock.unlock()
    }
}
