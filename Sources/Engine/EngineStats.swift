/// A snapshot of the engine for metrics: queue sizes, KV usage, prefix cache, token
/// counters and step timings.
public struct EngineStats: Sendable, Equatable {
    public var numRunning = 0
    public var numWaiting = 0
    public var numBlocks = 0
    public var numUsedBlocks = 0
    public var kvCacheUsage: Double { numBlocks == 0 ? 0 : Double(numUsedBlocks) / Double(numBlocks) }
    public var prefixCacheQueries = 0
    public var prefixCacheHits = 0
    public var promptTokens = 0
    public var generationTokens = 0
    public var preemptions = 0
    public var steps = 0
    public var stepSeconds = 0.0
    public var lastStepSeconds = 0.0
    /// Sampled rows a grammar masked, and the time computing and applying their masks took.
    public var maskedRows = 0
    public var maskSeconds = 0.0
    public var finishedByReason: [FinishReason: Int] = [:]
    /// Speculative decoding: rows that verified guesses, the guesses, those accepted, and the
    /// accepted ones by position in their row (vLLM's `spec_decode` counters).
    public var specDrafts = 0
    public var specDraftTokens = 0
    public var specAcceptedTokens = 0
    public var specAcceptedPerPosition: [Int] = []

    /// Counts a row that verified `draft` and accepted its first `accepted` guesses.
    mutating func countSpeculation(draft: Int, accepted: Int) {
        specDrafts += 1
        specDraftTokens += draft
        specAcceptedTokens += accepted
        if specAcceptedPerPosition.count < draft { specAcceptedPerPosition += Array(repeating: 0, count: draft - specAcceptedPerPosition.count) }
        for p in 0 ..< accepted { specAcceptedPerPosition[p] += 1 }
    }
}

/// What a submitted request's stream carries.
public enum EngineEvent: Sendable, Equatable {
    /// The request got its first compute (it left the waiting queue).
    case scheduled
    case token(Int32, TokenLogprobs?)
    /// Logprobs of prompt tokens `first`, `first + 1`, … (token 0 has none); comes in chunks
    /// before the first `.token`.
    case promptLogprobs(first: Int, [TokenLogprobs])
    /// An embedding request's vector (before its `.finished`).
    case embedding([Float])
    case finished(reason: FinishReason, promptTokens: Int, completionTokens: Int)
    case failed(String)
}
