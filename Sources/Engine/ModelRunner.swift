import Kernels
import Models

/// Turns a scheduler step into one batched forward pass over every scheduled token —
/// prompt chunks and decode rows together — then samples one token for each request that
/// finished its prompt or is decoding, from logits computed only for those rows.
public final class ModelRunner {
    public let model: any LanguageModel
    public let cache: PagedKVCache
    /// Per request: its own random stream (so a seeded request samples the same alone or batched).
    private var streams: [String: RandomSource] = [:]
    /// Penalized requests' token history and how many of their outputs it holds, built once
    /// from the prompt and then extended by each new token (not rebuilt every step).
    private var histories: [String: (history: Sampler.History, outputs: Int)] = [:]
    /// Logprobs of the last step's sampled tokens, for requests that asked for them.
    public private(set) var lastLogprobs: [String: TokenLogprobs] = [:]
    /// Prompt-token logprobs computed in the last step: (index of the first prompt token, entries).
    public private(set) var lastPromptLogprobs: [String: (first: Int, entries: [TokenLogprobs])] = [:]
    /// Per request: prompt tokens whose logprobs were already reported (a recompute after
    /// preemption does not report them again).
    private var promptLogprobsSent: [String: Int] = [:]

    /// Threads the rows are sampled on (the model's compute pool).
    private let pool: ComputePool

    public init(model: any LanguageModel, numBlocks: Int, blockSize: Int, pool: ComputePool) {
        self.model = model
        self.pool = pool
        cache = model.makeCache(numBlocks: numBlocks, blockSize: blockSize)
    }

    /// Runs `output` and returns the sampled token of every request with `needsSample`.
    public func execute(_ output: SchedulerOutput, scheduler: Scheduler) throws -> [String: Int32] {
        guard !output.scheduled.isEmpty else { return [:] }
        for (src, dst) in output.copies { cache.copyBlock(src, to: dst) }
        var batch = ForwardBatch()
        var rowOf: [String: Int] = [:]  // logits row of each request that computes its own
        var promptRows: [(id: String, firstRow: Int, firstPosition: Int, count: Int)] = []
        var nextRow = 0
        // In scheduler order: the matmuls give each sequence the same numbers in any order.
        for item in output.scheduled where !item.tokenIDs.isEmpty {
            // Rows predicting prompt tokens not yet reported, for requests that want prompt logprobs.
            var rows: [Int] = []
            if let state = scheduler.state(item.requestID), state.request.promptLogprobs != nil {
                let done = promptLogprobsSent[item.requestID] ?? 1  // token 0 is never predicted
                let last = min(item.startPosition + item.tokenIDs.count, state.numPromptTokens - 1)  // positions < last predict a prompt token
                let from = max(item.startPosition, done - 1)
                if from < last {
                    rows = Array((from - item.startPosition) ..< (last - item.startPosition))
                    promptRows.append((item.requestID, nextRow, from, rows.count))
                }
            }
            if item.needsSample { rows.append(item.tokenIDs.count - 1) }
            batch.append(tokens: item.tokenIDs, startPosition: item.startPosition, blockTable: item.blockTable, logitsFor: rows)
            nextRow += rows.count
            if item.needsSample { rowOf[item.requestID] = nextRow - 1 }
        }
        let logits = try model.forward(batch, cache: cache)  // (nextRow, vocab)
        let vocab = model.config.vocabularySize
        lastPromptLogprobs = [:]
        for p in promptRows {
            guard let state = scheduler.state(p.id), let k = state.request.promptLogprobs else { continue }
            let prompt = state.request.promptTokenIDs
            let entries = (0 ..< p.count).map { j in
                TokenLogprobs.compute(logits.pointer + (p.firstRow + j) * vocab, vocab: vocab, token: prompt[p.firstPosition + j + 1], k: k)
            }
            lastPromptLogprobs[p.id] = (p.firstPosition + 1, entries)
            promptLogprobsSent[p.id] = p.firstPosition + 1 + p.count
        }
        // Every row to sample: its request and its logits. Forked samples draw their first
        // token from a copy of their parent's row, untouched by the parent's sampling.
        var jobs: [(state: RequestState, row: UnsafeMutablePointer<Float>)] = []
        var forkRows: [(id: String, parentRow: Int)] = []
        for item in output.scheduled where item.needsSample {
            guard let state = scheduler.state(item.requestID) else { continue }
            if let parent = item.logitsFrom {
                if let row = rowOf[parent] { forkRows.append((item.requestID, row)) }
            } else if let row = rowOf[item.requestID] {
                jobs.append((state, logits.pointer + row * vocab))
            }
        }
        let forks = FloatBuffer(count: forkRows.count * vocab)  // (forks, vocab)
        for (i, f) in forkRows.enumerated() {
            guard let state = scheduler.state(f.id) else { continue }
            (forks.pointer + i * vocab).update(from: logits.pointer + f.parentRow * vocab, count: vocab)
            jobs.append((state, forks.pointer + i * vocab))
        }
        // Rows sample independently (own parameters, history and random stream), so they run
        // in parallel on the compute pool; results do not depend on how they are spread.
        let drawn = UnsafeMutableBufferPointer<Drawn>.allocate(capacity: jobs.count)
        defer { drawn.baseAddress!.deinitialize(count: jobs.count); drawn.deallocate() }
        let starts = jobs.map { streams[$0.state.requestID] ?? RandomSource(seed: $0.state.request.sampling.seed ?? UInt64.random(in: 0 ... .max)) }
        let history = jobs.map { self.history(of: $0.state) }
        pool.run(tasks: jobs.count) { i in
            (drawn.baseAddress! + i).initialize(to: Self.draw(jobs[i].state, jobs[i].row, vocab: vocab, history: history[i], rng: starts[i]))
        }
        var sampled: [String: Int32] = [:]
        lastLogprobs = [:]
        for (i, job) in jobs.enumerated() {
            let id = job.state.requestID
            sampled[id] = drawn[i].token
            streams[id] = drawn[i].rng
            if let lp = drawn[i].logprobs { lastLogprobs[id] = lp }
        }
        return sampled
    }

    /// One row's draw: its token, the random stream after it, and its logprobs if asked for.
    private struct Drawn {
        var token: Int32
        var rng: RandomSource
        var logprobs: TokenLogprobs?
    }

    /// One token for `state` from `logits` (vocab floats, adjusted in place), with its
    /// logprobs if asked for.
    private static func draw(_ state: RequestState, _ logits: UnsafeMutablePointer<Float>, vocab: Int, history: Sampler.History,
                             rng start: RandomSource) -> Drawn {
        let params = state.request.sampling
        var rng = start
        let k = state.request.logprobs
        let raw: [Float] = k != nil ? Array(UnsafeBufferPointer(start: logits, count: vocab)) : []  // (vocab) before sampling
        let token = Sampler.sample(logits, vocab: vocab, params: params, history: history, rng: &rng)
        let logprobs = k.map { k in raw.withUnsafeBufferPointer { TokenLogprobs.compute($0.baseAddress!, vocab: vocab, token: token, k: k) } }
        return Drawn(token: token, rng: rng, logprobs: logprobs)
    }

    /// The token history a request's penalties read (empty without penalties), brought up to
    /// date with its outputs.
    private func history(of state: RequestState) -> Sampler.History {
        let p = state.request.sampling
        guard p.repetitionPenalty != 1 || p.presencePenalty != 0 || p.frequencyPenalty != 0 else { return Sampler.History() }
        // Taken out of the dictionary so that appending does not copy it.
        var h = histories.removeValue(forKey: state.requestID) ?? (Sampler.History(prompt: state.request.promptTokenIDs), 0)
        for t in state.outputTokenIDs.dropFirst(h.outputs) { h.history.append(t) }
        h.outputs = state.outputTokenIDs.count
        histories[state.requestID] = h
        return h.history
    }

    /// Forgets a finished request's random stream and history.
    public func release(_ requestID: String) {
        streams[requestID] = nil
        histories[requestID] = nil
        promptLogprobsSent[requestID] = nil
    }
}
