/// The scheduler's view of one request: its tokens so far, how many of them are in the KV
/// cache, and the blocks that hold them.
public final class RequestState {
    public let id: SequenceID
    public let request: EngineRequest
    public internal(set) var status: RequestStatus = .waiting
    public internal(set) var outputTokenIDs: [Int32] = []
    /// Tokens whose K/V are in the cache.
    public internal(set) var numComputedTokens = 0
    /// Of which this many came from the prefix cache on admission.
    public internal(set) var numCachedTokens = 0
    /// Per block table of the KV layout: the blocks holding each `blockSize` positions (all
    /// tables equally long; -1 where a sliding-window table released a block its window left).
    public internal(set) var blockTables: [[Int32]]
    /// Per table: blocks before this index are released (always 0 for full-attention tables).
    var releasedBlocks: [Int]
    /// Block hashes of the full blocks of the tokens (grown as blocks fill).
    var blockHashes: [UInt64] = []
    /// How many of `blockIDs` are registered in the prefix cache.
    var numRegisteredBlocks = 0
    public internal(set) var numPreemptions = 0
    /// Parallel samples still to fork off when the prompt completes (n - 1, then 0).
    var pendingForks: Int
    /// A sample forked off another request's prompt (its prompt tokens are counted there).
    public internal(set) var isFork = false
    /// The next prompt token whose logprob is still to be reported (token 0 has none); a
    /// recompute after preemption does not report earlier ones again.
    var nextPromptLogprob = 1
    /// The runner's guesses of the tokens after the last one, to verify in the next step.
    var draftTokenIDs: [Int32] = []
    /// Guesses the next step verifies at most (0: `num_speculative_tokens`): grows by 2 after
    /// a step that accepted every guess, falls to one more than were accepted after one that
    /// did not, so a sequence whose guesses keep failing spends 2 rows a step, not k + 1.
    var guessLimit = 0
    /// False until the sequence is first scheduled (then the runner is handed its request).
    var wasScheduled = false
    let arrival: Int

    init(_ request: EngineRequest, id: SequenceID, arrival: Int, numTables: Int) {
        blockTables = Array(repeating: [], count: numTables)
        releasedBlocks = Array(repeating: 0, count: numTables)
        self.id = id
        self.request = request
        self.arrival = arrival
        pendingForks = max(0, request.n - 1)
    }

    public var numPromptTokens: Int { request.promptTokenIDs.count }
    /// Prompt plus generated tokens.
    public var numTokens: Int { request.promptTokenIDs.count + outputTokenIDs.count }
    public var allTokenIDs: [Int32] { request.promptTokenIDs + outputTokenIDs }
    /// Blocks of positions (the length of every block table).
    public var numBlocks: Int { blockTables[0].count }
    /// Every block the sequence holds, in all its tables.
    public var blockIDs: [Int32] { blockTables.flatMap { $0.filter { $0 >= 0 } } }
}
