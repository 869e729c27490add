import Models

/// How to sample the next token of one sequence in this step.
public struct SampleSpec: Sendable {
    public var params: SamplingParams
    /// Report the sampled token's logprob and this many alternatives (nil: none).
    public var logprobs: Int?
    /// A fork's first token comes from this sequence's logits row (it computes no tokens itself).
    public var logitsFrom: SequenceID?
    /// Guessed tokens this step verifies: the last `draft.count` scheduled tokens. The row
    /// samples each of their positions in turn and keeps going while a draw equals the guess.
    public var draft: [Int32] = []
    /// After sampling, guess this many tokens for the next step (0: none).
    public var propose = 0

    public init(params: SamplingParams, logprobs: Int? = nil, logitsFrom: SequenceID? = nil) {
        (self.params, self.logprobs, self.logitsFrom) = (params, logprobs, logitsFrom)
    }
}

/// An embedding request's share of a step: the hidden states of its rows that `pooling` needs
/// are pooled; the vector is complete when this step completes the prompt.
public struct PoolSpec: Sendable {
    public var pooling: Pooling
    public var completesPrompt: Bool

    public init(pooling: Pooling, completesPrompt: Bool) {
        (self.pooling, self.completesPrompt) = (pooling, completesPrompt)
    }
}

/// Prompt tokens whose logprobs this step's rows predict: rows `firstRow ..< firstRow +
/// targets.count` of the scheduled tokens predict `targets`, which are prompt tokens
/// `firstToken ..< firstToken + targets.count`.
public struct PromptLogprobsSpec: Sendable {
    public var k: Int
    public var firstRow: Int
    public var firstToken: Int
    public var targets: [Int32]

    public init(k: Int, firstRow: Int, firstToken: Int, targets: [Int32]) {
        (self.k, self.firstRow, self.firstToken, self.targets) = (k, firstRow, firstToken, targets)
    }
}

/// One sequence's share of a step: compute `tokenIDs` at positions `startPosition…`, reading
/// and writing K/V through `blockTables` (one per table of the KV layout); then sample if
/// `sample` is set.
public struct ScheduledRequest: Sendable {
    public let id: SequenceID
    public let tokenIDs: [Int32]
    public let startPosition: Int
    public let blockTables: [[Int32]]
    public var sample: SampleSpec?
    public var promptLogprobs: PromptLogprobsSpec?
    /// Set on every step of an embedding request (which never samples).
    public var pool: PoolSpec?
    /// Set on a sequence's first schedule: the request it serves (prompt, sampling), from
    /// which the runner builds its own per-sequence state (random stream, penalty history).
    public var newRequest: EngineRequest?

    public init(id: SequenceID, tokenIDs: [Int32], startPosition: Int, blockTables: [[Int32]]) {
        (self.id, self.tokenIDs, self.startPosition, self.blockTables) = (id, tokenIDs, startPosition, blockTables)
    }

    /// A request over a plain KV layout (one block table).
    public init(id: SequenceID, tokenIDs: [Int32], startPosition: Int, blockTable: [Int32]) {
        self.init(id: id, tokenIDs: tokenIDs, startPosition: startPosition, blockTables: [blockTable])
    }

    public var needsSample: Bool { sample != nil }
}

/// Everything one step needs, handed from the scheduler to the runner (one way: the runner
/// never reads the scheduler back).
public struct SchedulerOutput: Sendable {
    public var scheduled: [ScheduledRequest] = []
    public var preempted: [SequenceID] = []
    /// Copy-on-write: K/V of block `src` go to block `dst` before the forward runs.
    public var copies: [(src: Int32, dst: Int32)] = []
    /// Sequences that ended since the last step: the runner drops their state.
    public var finished: [SequenceID] = []
    public init() {}
    public var numScheduledTokens: Int { scheduled.reduce(0) { $0 + $1.tokenIDs.count } }
    /// Of which guesses to verify.
    public var numDraftTokens: Int { scheduled.reduce(0) { $0 + ($1.sample?.draft.count ?? 0) } }
}

/// What the runner computed for one sequence in a step.
public struct RowResult: Sendable {
    /// Sampled tokens, in order: the guesses drawn equal, then one more (or fewer when one ends the sequence).
    public var tokens: [Int32] = []
    /// Logprobs of `tokens`, when asked for.
    public var logprobs: [TokenLogprobs] = []
    /// Logprobs of the prompt tokens named by the step's `PromptLogprobsSpec`.
    public var promptLogprobs: [TokenLogprobs] = []
    /// The request's grammar is complete after the last token: the sequence stops there.
    public var ended = false
    /// Guesses for the next step, when the step asked for them (`SampleSpec.propose`).
    public var drafts: [Int32] = []
    /// An embedding request's pooled, normalized vector, on the step that completes its prompt.
    public var embedding: [Float]?

    public init(tokens: [Int32] = [], logprobs: [TokenLogprobs] = [], promptLogprobs: [TokenLogprobs] = []) {
        (self.tokens, self.logprobs, self.promptLogprobs) = (tokens, logprobs, promptLogprobs)
    }
}

/// The runner's answer to a `SchedulerOutput`.
public struct RunnerOutput: Sendable {
    public var rows: [SequenceID: RowResult] = [:]
    /// Rows whose logits a grammar masked this step, and the time their masks took.
    public var maskedRows = 0
    public var maskNanos: UInt64 = 0
    public init(rows: [SequenceID: RowResult] = [:]) { self.rows = rows }
}

/// What happened to one sequence in `update` or `abort`.
public struct SequenceEvent: Sendable, Equatable {
    public let id: SequenceID
    public let event: EngineEvent

    public init(id: SequenceID, event: EngineEvent) {
        (self.id, self.event) = (id, event)
    }
}
