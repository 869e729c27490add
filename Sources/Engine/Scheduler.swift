/// Limits the scheduler works within (vLLM's names).
public struct SchedulerConfig: Sendable {
    public var maxNumSeqs: Int
    public var maxNumBatchedTokens: Int
    public var maxModelLen: Int
    public var blockSize: Int
    public var numBlocks: Int
    public var enablePrefixCaching: Bool

    public init(maxNumSeqs: Int = 32, maxNumBatchedTokens: Int = 2048, maxModelLen: Int = 2048, blockSize: Int = 16,
                numBlocks: Int, enablePrefixCaching: Bool = true) {
        self.maxNumSeqs = maxNumSeqs
        self.maxNumBatchedTokens = maxNumBatchedTokens
        self.maxModelLen = maxModelLen
        self.blockSize = blockSize
        self.numBlocks = numBlocks
        self.enablePrefixCaching = enablePrefixCaching
    }
}

/// One request's share of a step: compute `tokenIDs` at positions startPosition…, reading
/// and writing K/V through `blockTable`; sample a token afterwards if `needsSample`.
public struct ScheduledRequest: Sendable, Equatable {
    public let requestID: String
    public let tokenIDs: [Int32]
    public let startPosition: Int
    public let blockTable: [Int32]
    public let needsSample: Bool
    /// A fork's first sample comes from this request's logits row (it computes no tokens).
    public var logitsFrom: String? = nil
}

public struct SchedulerOutput: Sendable {
    public var scheduled: [ScheduledRequest] = []
    public var preempted: [String] = []
    /// Copy-on-write: K/V of block `src` go to block `dst` before the forward runs.
    public var copies: [(src: Int32, dst: Int32)] = []
    public var numScheduledTokens: Int { scheduled.reduce(0) { $0 + $1.tokenIDs.count } }
}

/// What happened to a request in `update` or `abort`.
public enum SchedulerEvent: Equatable, Sendable {
    case token(requestID: String, token: Int32)
    case finished(requestID: String, status: RequestStatus, promptTokens: Int, completionTokens: Int)
}

/// Continuous batching as a pure state machine (no threads, no clocks, no model): every
/// step hands out `maxNumBatchedTokens` so that each request's computed tokens catch up
/// with its total. Running requests go first, so decode is never starved and long prompts
/// are chunked; then waiting requests are admitted in order while sequences, budget and
/// blocks allow. When blocks run out the newest running request is preempted by recompute.
public final class Scheduler {
    public let config: SchedulerConfig
    public let pool: BlockPool
    public private(set) var waiting: [RequestState] = []
    public private(set) var running: [RequestState] = []
    private var byID: [String: RequestState] = [:]
    private var arrivals = 0

    public init(config: SchedulerConfig) {
        self.config = config
        pool = BlockPool(numBlocks: config.numBlocks, blockSize: config.blockSize, enablePrefixCaching: config.enablePrefixCaching)
    }

    public var hasWork: Bool { !waiting.isEmpty || !running.isEmpty }
    public func state(_ id: String) -> RequestState? { byID[id] }

    private func blocksFor(_ tokens: Int) -> Int { (tokens + config.blockSize - 1) / config.blockSize }

    /// Why `request` can never run under `config`, if it cannot (pure: callable from any thread).
    public static func check(_ request: EngineRequest, config: SchedulerConfig) throws {
        guard !request.promptTokenIDs.isEmpty else { throw EngineError.emptyPrompt }
        guard request.promptTokenIDs.count < config.maxModelLen else {
            throw EngineError.promptTooLong(tokens: request.promptTokenIDs.count, maxModelLen: config.maxModelLen)
        }
        guard request.n >= 1, request.n <= config.maxNumSeqs else { throw EngineError.tooManySamples(n: request.n, maxNumSeqs: config.maxNumSeqs) }
        let longest = min(config.maxModelLen, request.promptTokenIDs.count + max(1, request.maxTokens))
        let blocks = (longest + config.blockSize - 1) / config.blockSize
        guard blocks <= config.numBlocks else { throw EngineError.neverFits(blocksNeeded: blocks, numBlocks: config.numBlocks) }
    }

    /// Queues a request, or says why it can never run.
    public func add(_ request: EngineRequest) throws {
        try Self.check(request, config: config)
        guard byID[request.requestID] == nil else { throw EngineError.duplicateRequestID(request.requestID) }
        let s = RequestState(request, arrival: arrivals)
        arrivals += 1
        byID[request.requestID] = s
        waiting.append(s)
    }

    /// Grows `s`'s blocks to hold `total` tokens; false (and nothing taken) if the pool is short.
    private func reserve(_ s: RequestState, total: Int) -> Bool {
        let need = blocksFor(total) - s.blockIDs.count
        guard need > 0 else { return true }
        guard let blocks = pool.allocate(need) else { return false }
        s.blockIDs += blocks
        return true
    }

    /// Copy-on-write: if the partly filled block the next token goes into is shared (forked
    /// samples), give `s` its own copy. False (nothing changed) if the pool is short.
    private func makeWritable(_ s: RequestState, into out: inout SchedulerOutput) -> Bool {
        let pos = s.numComputedTokens, b = pos / config.blockSize
        guard pos % config.blockSize != 0, b < s.blockIDs.count, pool.refCount[Int(s.blockIDs[b])] > 1 else { return true }
        guard let fresh = pool.allocate(1) else { return false }
        out.copies.append((s.blockIDs[b], fresh[0]))
        pool.free([s.blockIDs[b]])
        s.blockIDs[b] = fresh[0]
        return true
    }

    /// Room for `s` to compute up to `total` tokens: its own copy of a shared partial block,
    /// and enough blocks.
    private func prepare(_ s: RequestState, total: Int, into out: inout SchedulerOutput) -> Bool {
        makeWritable(s, into: &out) && reserve(s, total: total)
    }

    private func release(_ s: RequestState) {
        // Reverse order: a prefix's first blocks are evicted last.
        pool.free(s.blockIDs.reversed())
        s.blockIDs = []
        s.numRegisteredBlocks = 0
    }

    private func preempt(_ s: RequestState, into out: inout SchedulerOutput) {
        release(s)
        s.numComputedTokens = 0
        s.numCachedTokens = 0
        s.status = .preempted
        s.numPreemptions += 1
        running.removeAll { $0 === s }
        waiting.insert(s, at: 0)
        out.preempted.append(s.requestID)
    }

    public func schedule() -> SchedulerOutput {
        var out = SchedulerOutput()
        var budget = config.maxNumBatchedTokens
        var scheduled: [(RequestState, Int)] = []
        // 1. Running requests, oldest first.
        var i = 0
        while i < running.count && budget > 0 {
            let s = running[i]
            let n = min(s.numTokens - s.numComputedTokens, budget)
            if n <= 0 { i += 1; continue }
            var ok = prepare(s, total: s.numComputedTokens + n, into: &out)
            while !ok {
                guard let victim = running.last, victim !== s else { break }
                scheduled.removeAll { $0.0 === victim }
                preempt(victim, into: &out)
                ok = prepare(s, total: s.numComputedTokens + n, into: &out)
            }
            if !ok {
                preempt(s, into: &out)  // it was the newest itself
                continue
            }
            scheduled.append((s, n))
            budget -= n
            i += 1
        }
        // 2. Waiting requests in order, unless this step had to preempt.
        if out.preempted.isEmpty {
            while let s = waiting.first, budget > 0, running.count + 1 + s.pendingForks <= config.maxNumSeqs {
                if s.blockIDs.isEmpty && s.numComputedTokens == 0 && s.request.promptLogprobs == nil {
                    // Prefix cache: full blocks of all but the last token (which must be
                    // computed to produce logits).
                    let hashes = pool.blockHashes(Array(s.allTokenIDs.prefix(s.numTokens - 1)))
                    let hit = pool.takeCachedPrefix(hashes)
                    s.blockIDs = hit
                    s.blockHashes = Array(hashes.prefix(hit.count))
                    s.numRegisteredBlocks = hit.count
                    s.numComputedTokens = hit.count * config.blockSize
                    s.numCachedTokens = s.numComputedTokens
                }
                let n = min(s.numTokens - s.numComputedTokens, budget)
                guard reserve(s, total: s.numComputedTokens + n) else {
                    // Not enough blocks now: give back the cache hits and wait.
                    release(s)
                    s.numComputedTokens = 0
                    s.numCachedTokens = 0
                    break
                }
                waiting.removeFirst()
                s.status = .running
                running.append(s)
                scheduled.append((s, n))
                budget -= n
            }
        }
        for (s, n) in scheduled {
            let tokens = Array(s.allTokenIDs[s.numComputedTokens ..< s.numComputedTokens + n])
            let completes = s.numComputedTokens + n == s.numTokens
            out.scheduled.append(ScheduledRequest(requestID: s.requestID, tokenIDs: tokens, startPosition: s.numComputedTokens,
                                                  blockTable: s.blockIDs, needsSample: completes))
            if completes && s.pendingForks > 0 { fork(s, into: &out) }
        }
        return out
    }

    /// The prompt of `s` completes this step: its other samples start now, sharing every
    /// block of the prompt and sampling their first token from the same logits.
    private func fork(_ s: RequestState, into out: inout SchedulerOutput) {
        for i in 1 ... s.pendingForks {
            var r = s.request
            r.requestID = EngineRequest.childID(s.requestID, i)
            r.n = 1
            if let seed = r.sampling.seed { r.sampling.seed = seed &+ UInt64(i) }
            guard byID[r.requestID] == nil else { continue }
            let c = RequestState(r, arrival: s.arrival)
            c.isFork = true
            c.status = .running
            c.blockIDs = s.blockIDs
            pool.retain(c.blockIDs)
            c.numComputedTokens = s.numTokens  // true once this step's forward has run
            byID[r.requestID] = c
            running.append(c)
            out.scheduled.append(ScheduledRequest(requestID: r.requestID, tokenIDs: [], startPosition: s.numTokens,
                                                  blockTable: c.blockIDs, needsSample: true, logitsFrom: s.requestID))
        }
        s.pendingForks = 0
    }

    /// Applies a step's results: `sampled` holds a token for every scheduled request with
    /// `needsSample`. Returns tokens and finishes, in the order of `output.scheduled`.
    public func update(_ output: SchedulerOutput, sampled: [String: Int32]) -> [SchedulerEvent] {
        var events: [SchedulerEvent] = []
        for item in output.scheduled {
            guard let s = byID[item.requestID], s.status == .running else { continue }
            s.numComputedTokens += item.tokenIDs.count
            registerFullBlocks(s)
            guard item.needsSample, let token = sampled[item.requestID] else { continue }
            s.outputTokenIDs.append(token)
            events.append(.token(requestID: s.requestID, token: token))
            let r = s.request
            var status: RequestStatus?
            if r.stopTokenIDs.contains(token) || (!r.ignoreEOS && r.eosTokenIDs.contains(token)) {
                status = .finishedStopped
            } else if s.outputTokenIDs.count >= r.maxTokens || s.numTokens >= config.maxModelLen {
                status = .finishedLength
            }
            if let status { events.append(finish(s, status)) }
        }
        return events
    }

    /// Registers the request's newly full, computed blocks in the prefix cache.
    private func registerFullBlocks(_ s: RequestState) {
        let full = min(s.numComputedTokens / config.blockSize, s.blockIDs.count)
        guard full > s.numRegisteredBlocks else { return }
        let tokens = s.allTokenIDs
        while s.blockHashes.count < full {
            let b = s.blockHashes.count
            let parent = s.blockHashes.last ?? 0
            s.blockHashes.append(BlockPool.hash(parent: parent, tokens: tokens[b * config.blockSize ..< (b + 1) * config.blockSize]))
        }
        for b in s.numRegisteredBlocks ..< full { pool.register(s.blockIDs[b], hash: s.blockHashes[b]) }
        s.numRegisteredBlocks = full
    }

    private func finish(_ s: RequestState, _ status: RequestStatus) -> SchedulerEvent {
        s.status = status
        release(s)
        running.removeAll { $0 === s }
        waiting.removeAll { $0 === s }
        byID[s.requestID] = nil
        return .finished(requestID: s.requestID, status: status, promptTokens: s.isFork ? 0 : s.numPromptTokens,
                         completionTokens: s.outputTokenIDs.count)
    }

    /// Ends a request wherever it is (queued, mid-prefill, decoding) and frees its blocks.
    public func abort(_ id: String) -> SchedulerEvent? {
        guard let s = byID[id] else { return nil }
        return finish(s, .finishedAborted)
    }
}
