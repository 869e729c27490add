import Models

/// What a client asks the engine for, in tokens: the engine never sees text.
public struct EngineRequest: Sendable {
    public var requestID: String
    public var promptTokenIDs: [Int32]
    public var sampling: SamplingParams
    public var maxTokens: Int
    /// Generation ends when one of these is sampled (unless `ignoreEOS`).
    public var eosTokenIDs: Set<Int32>
    /// Generation ends when one of these is sampled, always.
    public var stopTokenIDs: Set<Int32>
    public var ignoreEOS: Bool
    /// Report each sampled token's logprob and this many alternatives (nil: no logprobs).
    public var logprobs: Int?
    /// Parallel samples of one prompt: the prompt is computed once, then the request forks
    /// into `n` sequences sharing its KV blocks (copy-on-write). Sample i is the sequence
    /// `SequenceID(requestID, i)`; when seeded, sample i ≥ 1 uses the seed `seed &+ i`.
    public var n = 1
    /// Also report the logprob of every prompt token after the first, with this many
    /// alternatives (the prompt is then computed in full: no prefix-cache hits).
    public var promptLogprobs: Int?
    /// A grammar the generated text must match (nil: free text). EOS and stop tokens are
    /// allowed only where the grammar may end; the sequence stops when it is complete.
    public var constraint: TokenConstraint?
    /// Let the engine verify guessed tokens for this request when it speculates (the output is
    /// the same either way; false spends no compute on guesses).
    public var speculative = true
    /// An embedding request (nil: generation): the prompt is computed and its final hidden
    /// states pooled this way into one L2-normalized vector (`EngineEvent.embedding`); no token
    /// is sampled, and its blocks are freed when the prompt is done.
    public var embed: Pooling?

    public init(requestID: String, promptTokenIDs: [Int32], sampling: SamplingParams = .greedy, maxTokens: Int = 16,
                eosTokenIDs: Set<Int32> = [], stopTokenIDs: Set<Int32> = [], ignoreEOS: Bool = false, logprobs: Int? = nil) {
        self.requestID = requestID
        self.promptTokenIDs = promptTokenIDs
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.eosTokenIDs = eosTokenIDs
        self.stopTokenIDs = stopTokenIDs
        self.ignoreEOS = ignoreEOS
        self.logprobs = logprobs
    }
}

/// A request's place in its life, in order; the finished states map to OpenAI's reasons.
public enum RequestStatus: Int, Comparable, Sendable {
    case waiting, running, preempted, finishedStopped, finishedLength, finishedAborted

    public static func < (a: RequestStatus, b: RequestStatus) -> Bool { a.rawValue < b.rawValue }

    /// Why a finished sequence ended.
    public var finishReason: FinishReason? {
        switch self {
        case .finishedStopped: return .stop
        case .finishedLength: return .length
        case .finishedAborted: return .abort
        default: return nil
        }
    }
}

/// Why a request cannot be served at all.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    case emptyPrompt
    case promptTooLong(tokens: Int, maxModelLen: Int)
    case neverFits(blocksNeeded: Int, numBlocks: Int)
    case duplicateRequestID(String)
    case tooManySamples(n: Int, maxNumSeqs: Int)

    public var description: String {
        switch self {
        case .emptyPrompt: return "the prompt has no tokens"
        case .promptTooLong(let t, let m): return "the prompt has \(t) tokens; the maximum context is \(m)"
        case .neverFits(let n, let total): return "the request needs \(n) KV blocks but the pool has \(total)"
        case .duplicateRequestID(let id): return "request id \(id) is already in use"
        case .tooManySamples(let n, let m): return "n = \(n) samples exceed the \(m) sequences a batch may hold"
        }
    }
}
