/// Continuous batching as a pure state machine (no threads, no clocks, no model): every
/// step hands out `maxNumBatchedTokens` so that each request's computed tokens catch up
/// with its total. Running requests go first, so decode is never starved and long prompts
/// are chunked; then waiting requests are admitted in order while sequences, budget and
/// blocks allow. When blocks run out the newest running request is preempted by recompute.
/// Each sequence holds one block table per table of the model's KV layout, all from one pool;
/// a sliding-window table gives back (-1 in its place) each block its window has left.
public final class Scheduler {
    public let config: SchedulerConfig
    public let pool: BlockPool
    public internal(set) var waiting: [RequestState] = []
    public internal(set) var running: [RequestState] = []
    var byID: [SequenceID: RequestState] = [:]
    /// Sequences finished since the last `schedule()`, for the runner to forget.
    var finishedSinceLastStep: [SequenceID] = []
    private var arrivals = 0
    /// The window of each block table (nil: full attention).
    let tableWindows: [Int?]

    public init(config: SchedulerConfig) {
        self.config = config
        pool = BlockPool(numBlocks: config.numBlocks, blockSize: config.blockSize, enablePrefixCaching: config.enablePrefixCaching)
        tableWindows = config.kvGroups.flatMap { g in Array(repeating: g.window, count: g.tables) }
    }

    public var hasWork: Bool { !waiting.isEmpty || !running.isEmpty }
    public func state(_ id: SequenceID) -> RequestState? { byID[id] }

    private func blocksFor(_ tokens: Int) -> Int { (tokens + config.blockSize - 1) / config.blockSize }

    /// Why `request` can never run under `config`, if it cannot (pure: callable from any thread).
    public static func check(_ request: EngineRequest, config: SchedulerConfig) throws {
        guard !request.promptTokenIDs.isEmpty else { throw EngineError.emptyPrompt }
        // A generation request needs room for one token after its prompt; an embedding request does not.
        guard request.promptTokenIDs.count < config.maxModelLen + (request.embed == nil ? 0 : 1) else {
            throw EngineError.promptTooLong(tokens: request.promptTokenIDs.count, maxModelLen: config.maxModelLen)
        }
        if !config.chunkedPrefill && request.promptTokenIDs.count > config.maxNumBatchedTokens {
            throw EngineError.promptTooLong(tokens: request.promptTokenIDs.count, maxModelLen: config.maxNumBatchedTokens)
        }
        guard request.n >= 1, request.n <= config.maxNumSeqs, request.embed == nil || request.n == 1 else { throw EngineError.tooManySamples(n: request.n, maxNumSeqs: config.maxNumSeqs) }
        let longest = min(config.maxModelLen, request.promptTokenIDs.count + max(1, request.maxTokens))
        let blocks = config.blocksNeeded(tokens: longest)
        guard blocks <= config.numBlocks else { throw EngineError.neverFits(blocksNeeded: blocks, numBlocks: config.numBlocks) }
    }

    /// Queues a request, or says why it can never run.
    public func add(_ request: EngineRequest) throws {
        try Self.check(request, config: config)
        let id = SequenceID(request.requestID)
        guard byID[id] == nil else { throw EngineError.duplicateRequestID(request.requestID) }
        let s = RequestState(request, id: id, arrival: arrivals, numTables: tableWindows.count)
        arrivals += 1
        byID[id] = s
        waiting.append(s)
    }

    /// Grows `s`'s tables to hold `total` tokens; false (and nothing taken) if the pool is short.
    private func reserve(_ s: RequestState, total: Int) -> Bool {
        let need = blocksFor(total) - s.numBlocks, tables = tableWindows.count
        guard need > 0 else { return true }
        guard let blocks = pool.allocate(need * tables) else { return false }
        for b in 0 ..< need { for t in 0 ..< tables { s.blockTables[t].append(blocks[b * tables + t]) } }
        return true
    }

    /// Copy-on-write: if the partly filled block the next token goes into is shared (forked
    /// samples) in any table, give `s` its own copy. False (nothing changed) if the pool is short.
    private func makeWritable(_ s: RequestState, into out: inout SchedulerOutput) -> Bool {
        let pos = s.numComputedTokens, b = pos / config.blockSize
        guard pos % config.blockSize != 0, b < s.numBlocks else { return true }
        let shared = s.blockTables.indices.filter { s.blockTables[$0][b] >= 0 && pool.refCount[Int(s.blockTables[$0][b])] > 1 }
        guard !shared.isEmpty else { return true }
        guard let fresh = pool.allocate(shared.count) else { return false }
        for (t, new) in zip(shared, fresh) {
            out.copies.append((s.blockTables[t][b], new))
            pool.free([s.blockTables[t][b]])
            s.blockTables[t][b] = new
        }
        return true
    }

    /// The first block of a table with `window` that the next token at `position` still reads.
    private func firstNeeded(_ window: Int?, position: Int) -> Int {
        window.map { max(0, position + 1 - $0) / config.blockSize } ?? 0
    }

    /// Gives back the blocks of `s`'s window tables that lie wholly before the window of its next
    /// token (earliest first, so they are also evicted from the prefix cache first).
    func releasePassed(_ s: RequestState) {
        for (t, window) in tableWindows.enumerated() where window != nil {
            let end = min(firstNeeded(window, position: s.numComputedTokens), s.numBlocks)
            guard s.releasedBlocks[t] < end else { continue }
            pool.free(s.blockTables[t][s.releasedBlocks[t] ..< end].filter { $0 >= 0 })
            for b in s.releasedBlocks[t] ..< end { s.blockTables[t][b] = -1 }
            s.releasedBlocks[t] = end
        }
    }

    /// Room for `s` to compute up to `total` tokens: its own copy of a shared partial block,
    /// and enough blocks.
    private func prepare(_ s: RequestState, total: Int, into out: inout SchedulerOutput) -> Bool {
        makeWritable(s, into: &out) && reserve(s, total: total)
    }

    /// Gives back `s`'s blocks, which leaves it with no computed tokens.
    func release(_ s: RequestState) {
        // Reverse order: a prefix's first blocks are evicted last.
        pool.free((0 ..< s.numBlocks).reversed().flatMap { b in s.blockTables.map { $0[b] }.filter { $0 >= 0 } })
        s.blockTables = s.blockTables.map { _ in [] }
        s.releasedBlocks = s.releasedBlocks.map { _ in 0 }
        s.numRegisteredBlocks = 0
        s.numComputedTokens = 0
        s.numCachedTokens = 0
        s.draftTokenIDs = []
    }

    /// Gives back `s`'s blocks past those its known tokens need: after a step that verified
    /// guesses, the rejected guesses' K/V (and a draft model's scratch) go with them.
    func trimBlocks(_ s: RequestState) {
        let keep = blocksFor(s.numTokens)
        guard s.numBlocks > keep else { return }
        pool.free((keep ..< s.numBlocks).reversed().flatMap { b in s.blockTables.map { $0[b] }.filter { $0 >= 0 } })
        s.blockTables = s.blockTables.map { Array($0.prefix(keep)) }
        s.releasedBlocks = s.releasedBlocks.map { min($0, keep) }
    }

    private func preempt(_ s: RequestState, into out: inout SchedulerOutput) {
        release(s)
        s.status = .preempted
        s.numPreemptions += 1
        running.removeAll { $0 === s }
        waiting.insert(s, at: 0)
        out.preempted.append(s.id)
    }

    /// One sequence's share of the step being planned: `n` of its own tokens, then `draft` of
    /// its guesses to verify; after sampling, `propose` guesses for the next step.
    private struct Planned {
        let s: RequestState
        var n: Int
        var draft = 0
        var propose = 0
    }

    public func schedule() -> SchedulerOutput {
        var out = SchedulerOutput()
        out.finished = finishedSinceLastStep
        finishedSinceLastStep = []
        var budget = config.maxNumBatchedTokens
        // Speculation backs off once the batch alone is wide enough to keep the cores busy.
        let speculating = config.speculative.map { running.count + waiting.count <= $0.disableByBatchSize } ?? false
        var planned = scheduleRunning(&budget, speculating: speculating, into: &out)
        // Waiting requests join unless this step had to preempt.
        if out.preempted.isEmpty { planned += admitWaiting(&budget, speculating: speculating) }
        for p in planned {
            out.scheduled.append(item(p))
            if p.s.numComputedTokens + p.n == p.s.numTokens && p.s.pendingForks > 0 { fork(p.s, into: &out) }
        }
        return out
    }

    /// `s` with `n` of its tokens this step, and, when those end its known tokens and the step
    /// speculates, the guesses it can verify within `budget`, `max_tokens` and the context, and
    /// the guesses it asks for next.
    private func plan(_ s: RequestState, n: Int, budget: Int, speculating: Bool) -> Planned {
        var p = Planned(s: s, n: n)
        guard speculating, s.request.speculative, s.request.embed == nil, let spec = config.speculative, s.numComputedTokens + n == s.numTokens else {
            return p
        }
        let limit = s.guessLimit > 0 ? s.guessLimit : spec.numSpeculativeTokens
        let room = min(budget - n, s.request.maxTokens - s.outputTokenIDs.count - 1, config.maxModelLen - s.numTokens - 1)
        p.draft = max(0, min(s.draftTokenIDs.count, room, limit))
        // A draft model pays a forward per guess, so it is asked for this step's limit; prompt
        // lookup's guesses are free, so it is asked for all it has, and the next step keeps
        // what its own limit allows (after a run of acceptances, more than this step's).
        p.propose = spec.method == .ngram ? spec.numSpeculativeTokens : limit
        return p
    }

    /// Positions `p` reserves blocks for: its tokens and guesses, and for a draft model the
    /// positions its next guesses are computed at.
    private func reservedTotal(_ p: Planned) -> Int {
        let lookahead = config.speculative?.method == .draft ? p.propose : 0
        return min(config.maxModelLen, p.s.numComputedTokens + p.n + p.draft + lookahead)
    }

    /// Running requests, oldest first, each with as many tokens as the budget allows (and its
    /// guesses, when blocks allow); when blocks run out the newest running request is preempted
    /// (possibly the one asking).
    private func scheduleRunning(_ budget: inout Int, speculating: Bool, into out: inout SchedulerOutput) -> [Planned] {
        var scheduled: [Planned] = []
        var i = 0
        while i < running.count && budget > 0 {
            let s = running[i]
            let n = min(s.numTokens - s.numComputedTokens, budget)
            if n <= 0 { i += 1; continue }
            var p = plan(s, n: n, budget: budget, speculating: speculating)
            var ok = prepare(s, total: reservedTotal(p), into: &out)
            if !ok && (p.draft > 0 || p.propose > 0) {
                p = Planned(s: s, n: n)  // guesses are never worth a preemption
                ok = prepare(s, total: reservedTotal(p), into: &out)
            }
            while !ok, let victim = running.last, victim !== s {
                scheduled.removeAll { $0.s === victim }
                preempt(victim, into: &out)
                ok = prepare(s, total: reservedTotal(p), into: &out)
            }
            if !ok {
                preempt(s, into: &out)  // it was the newest itself
                continue
            }
            scheduled.append(p)
            budget -= p.n + p.draft
            i += 1
        }
        return scheduled
    }

    /// Waiting requests in order, while sequences, budget and blocks allow; each first takes
    /// what the prefix cache holds of its prompt.
    private func admitWaiting(_ budget: inout Int, speculating: Bool) -> [Planned] {
        var admitted: [Planned] = []
        while let s = waiting.first, budget > 0, running.count + 1 + s.pendingForks <= config.maxNumSeqs {
            // Prompt logprobs and mean or CLS pooling need every prompt row computed.
            if s.numBlocks == 0 && s.numComputedTokens == 0 && s.request.promptLogprobs == nil && (s.request.embed ?? .last) == .last
                && config.chunkedPrefill {
                takeCachedPrefix(s)
            }
            let n = min(s.numTokens - s.numComputedTokens, budget)
            if !config.chunkedPrefill && n < s.numTokens - s.numComputedTokens { break }
            var p = plan(s, n: n, budget: budget, speculating: speculating)
            p.draft = 0  // guesses made before a preemption are dropped with its blocks
            if !reserve(s, total: reservedTotal(p)) {
                p.propose = 0
                guard reserve(s, total: reservedTotal(p)) else {
                    // Not enough blocks now: give back the cache hits and wait.
                    release(s)
                    break
                }
            }
            waiting.removeFirst()
            s.status = .running
            running.append(s)
            admitted.append(p)
            budget -= p.n
        }
        return admitted
    }

    /// Gives `s` the longest cached prefix of its prompt's full blocks (all but the last token,
    /// which must be computed to produce logits) that every table can serve: full-attention
    /// tables need each block of it, window tables only those the first token computed after it
    /// reads (the others become -1).
    private func takeCachedPrefix(_ s: RequestState) {
        let hashes = pool.blockHashes(Array(s.allTokenIDs.prefix(s.numTokens - 1)))
        func cached(_ b: Int, _ t: Int) -> Int32? { pool.cachedBlock(BlockPool.tableHash(hashes[b], table: t)) }
        let tables = tableWindows.indices
        var k = 0
        while k < hashes.count, tables.allSatisfy({ tableWindows[$0] != nil || cached(k, $0) != nil }) { k += 1 }
        while k > 0, !tables.allSatisfy({ t in (firstNeeded(tableWindows[t], position: k * config.blockSize) ..< k).allSatisfy { cached($0, t) != nil } }) {
            k -= 1
        }
        pool.noteLookup(queries: hashes.count, hits: k)
        for t in tables {
            let first = firstNeeded(tableWindows[t], position: k * config.blockSize)
            s.blockTables[t] = (0 ..< k).map { b in
                guard b >= first, let block = cached(b, t) else { return -1 }
                pool.take(block)
                return block
            }
            s.releasedBlocks[t] = first
        }
        s.blockHashes = Array(hashes.prefix(k))
        s.numRegisteredBlocks = k
        s.numComputedTokens = k * config.blockSize
        s.numCachedTokens = s.numComputedTokens
    }

    /// The step's work for `p.s`: its next `p.n` tokens and guesses, and what to sample and
    /// report after them.
    private func item(_ p: Planned) -> ScheduledRequest {
        let s = p.s, n = p.n, start = s.numComputedTokens
        let draft = Array(s.draftTokenIDs.prefix(p.draft))
        let tokens = Array(s.allTokenIDs[start ..< start + n]) + draft
        var item = ScheduledRequest(id: s.id, tokenIDs: tokens, startPosition: start, blockTables: s.blockTables)
        if let pooling = s.request.embed {
            item.pool = PoolSpec(pooling: pooling, completesPrompt: start + n == s.numTokens)
        } else if start + n == s.numTokens {
            item.sample = SampleSpec(params: s.request.sampling, logprobs: s.request.logprobs)
            item.sample?.draft = draft
            item.sample?.propose = p.propose
        }
        if let k = s.request.promptLogprobs {
            // Positions p < last predict prompt token p + 1; those before nextPromptLogprob - 1 were reported.
            let last = min(start + n, s.numPromptTokens - 1)
            let from = max(start, s.nextPromptLogprob - 1)
            if from < last {
                item.promptLogprobs = PromptLogprobsSpec(k: k, firstRow: from - start, firstToken: from + 1,
                                                         targets: Array(s.request.promptTokenIDs[from + 1 ... last]))
            }
        }
        if !s.wasScheduled {
            s.wasScheduled = true
            item.newRequest = s.request
        }
        return item
    }

    /// The prompt of `s` completes this step: its other samples start now, sharing every
    /// block of the prompt and sampling their first token from the same logits.
    private func fork(_ s: RequestState, into out: inout SchedulerOutput) {
        for i in 1 ... s.pendingForks {
            var r = s.request
            r.n = 1
            if let seed = r.sampling.seed { r.sampling.seed = seed &+ UInt64(i) }
            let id = SequenceID(s.id.requestID, i)
            guard byID[id] == nil else { continue }
            let c = RequestState(r, id: id, arrival: s.arrival, numTables: tableWindows.count)
            c.isFork = true
            c.status = .running
            // Only the blocks of the prompt: any beyond were reserved for the parent's guesses.
            c.blockTables = s.blockTables.map { Array($0.prefix(blocksFor(s.numTokens))) }
            c.releasedBlocks = s.releasedBlocks
            pool.retain(c.blockIDs)
            c.numComputedTokens = s.numTokens  // true once this step's forward has run
            c.wasScheduled = true
            byID[id] = c
            running.append(c)
            var item = ScheduledRequest(id: id, tokenIDs: [], startPosition: s.numTokens, blockTables: c.blockTables)
            item.sample = SampleSpec(params: r.sampling, logprobs: r.logprobs, logitsFrom: s.id)
            item.newRequest = r
            out.scheduled.append(item)
        }
        s.pendingForks = 0
    }
}
