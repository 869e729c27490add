import Kernels
import Models

/// Turns a `SchedulerOutput` into one batched forward pass over every scheduled token —
/// prompt chunks, decode rows and guesses to verify together — and a `RunnerOutput`: the
/// sampled tokens of each sequence that finished its prompt or is decoding (from logits
/// computed only for those rows), their logprobs, prompt logprobs where asked, and guesses
/// for the next step where asked. It never reads the scheduler: all it needs comes in the
/// output, and its own per-sequence state (random streams, penalty histories, the tokens a
/// proposer reads) is built from `newRequest` and dropped for `finished`.
public final class ModelRunner {
    public let model: any LanguageModel
    public let cache: PagedKVCache
    /// Rows of a step sample in parallel here.
    let pool: ComputePool
    private var sequences: [SequenceID: SequenceSampling] = [:]
    /// Guesses the next tokens when the scheduler speculates (nil: never asked).
    private let proposer: (any Proposer)?
    /// Per sequence, prompt and output so far (kept only with a proposer).
    private var tokens: [SequenceID: [Int32]] = [:]
    private var pooler = EmbeddingPooler()

    /// A runner over a cache of `numBlocks` blocks in the model's `kvLayout` (the scheduler's
    /// `kvGroups` must be that layout's groups), guessing as `speculative` says (a `draft`
    /// method guesses with `draftModel`, which `SpeculativeConfig.check` has accepted).
    public init(model: any LanguageModel, numBlocks: Int, blockSize: Int, pool: ComputePool, kvCacheDType: KVCacheDType = .f32,
                speculative: SpeculativeConfig? = nil, draftModel: (any LanguageModel)? = nil) {
        self.model = model
        self.pool = pool
        cache = model.makeCache(numBlocks: numBlocks, blockSize: blockSize, dtype: kvCacheDType, layout: model.kvLayout)
        switch (speculative?.method, draftModel) {
        case (.ngram?, _): proposer = speculative.map { NgramProposer(minN: $0.promptLookupMin, maxN: $0.promptLookupMax) }
        case (.draft?, let draft?): proposer = DraftModelProposer(model: draft, numBlocks: numBlocks, blockSize: blockSize, dtype: kvCacheDType)
        default: proposer = nil
        }
    }

    /// Where a step's logits rows come from.
    private struct Rows {
        /// Logits row of each sequence that samples from its own tokens.
        var sample: [SequenceID: Int] = [:]
        /// First logits row of each sequence's prompt-logprob rows.
        var prompt: [SequenceID: Int] = [:]
        /// First hidden-state row and row count of each embedding sequence.
        var hidden: [SequenceID: (first: Int, count: Int)] = [:]
    }

    public func execute(_ output: SchedulerOutput) throws -> RunnerOutput {
        for id in output.finished + output.preempted { pooler.drop(id) }
        for id in output.finished { sequences[id] = nil; tokens[id] = nil }
        for item in output.scheduled {
            guard let r = item.newRequest else { continue }
            sequences[item.id] = SequenceSampling(r)
            if proposer != nil { tokens[item.id] = r.promptTokenIDs }
        }
        guard !output.scheduled.isEmpty else { return RunnerOutput() }
        for (src, dst) in output.copies { cache.copyBlock(src, to: dst) }
        let (batch, rows) = makeBatch(output)
        var result = RunnerOutput()
        let logits: FloatBuffer  // (logit rows, vocab)
        if output.scheduled.contains(where: { $0.pool != nil }) {
            let hidden: FloatBuffer  // (hidden rows, width)
            (logits, hidden) = try model.forwardWithHidden(batch, cache: cache)
            pool(output, hidden: hidden, rows: rows, into: &result)
        } else {
            logits = try model.forward(batch, cache: cache)
        }
        try proposer?.observe(batch, copies: output.copies)
        let vocab = model.config.vocabularySize
        for item in output.scheduled {
            guard let spec = item.promptLogprobs, let first = rows.prompt[item.id] else { continue }
            result.rows[item.id, default: RowResult()].promptLogprobs = spec.targets.enumerated().map { j, target in
                TokenLogprobs.compute(logits.pointer + (first + j) * vocab, vocab: vocab, token: target, k: spec.k)
            }
        }
        sample(output, logits: logits, rows: rows, into: &result)
        try propose(output, into: &result)
        return result
    }

    /// Extends each sequence's tokens by what it drew, and asks the proposer for the guesses
    /// the scheduler wants next.
    private func propose(_ output: SchedulerOutput, into result: inout RunnerOutput) throws {
        guard let proposer else { return }
        var requests: [ProposalRequest] = []
        for item in output.scheduled {
            guard let spec = item.sample, let row = result.rows[item.id] else { continue }
            tokens[item.id, default: []] += row.tokens
            if spec.propose > 0 && !row.ended, let known = tokens[item.id] {
                requests.append(ProposalRequest(id: item.id, tokens: known, blockTables: item.blockTables, count: spec.propose))
            }
        }
        guard !requests.isEmpty else { return }
        for (id, guess) in try proposer.propose(requests) { result.rows[id]?.drafts = guess }
    }

    /// The forward batch of a step: each computing sequence's tokens, with logits for its
    /// prompt-logprob rows and its last token when it samples.
    private func makeBatch(_ output: SchedulerOutput) -> (ForwardBatch, Rows) {
        var batch = ForwardBatch()
        var rows = Rows()
        var next = 0, nextHidden = 0
        // In scheduler order: the matmul dispatch gives each sequence the numbers it gets alone,
        // whatever its neighbours (Matmul.RowPlan).
        for item in output.scheduled where !item.tokenIDs.isEmpty {
            var want: [Int] = []
            if let p = item.promptLogprobs {
                want = Array(p.firstRow ..< p.firstRow + p.targets.count)
                rows.prompt[item.id] = next
            }
            // A sampling row's last own token, then each guess: draft.count + 1 rows.
            let guesses = item.sample?.draft.count ?? 0
            if item.needsSample { want += (item.tokenIDs.count - 1 - guesses) ... (item.tokenIDs.count - 1) }
            let hidden = item.pool.map { EmbeddingPooler.rows(item, $0) } ?? []
            rows.hidden[item.id] = (nextHidden, hidden.count)
            batch.append(tokens: item.tokenIDs, startPosition: item.startPosition, blockTables: item.blockTables, logitsFor: want,
                         hiddenFor: hidden)
            next += want.count
            nextHidden += hidden.count
            if item.needsSample { rows.sample[item.id] = next - 1 - guesses }
        }
        return (batch, rows)
    }

    /// Adds each embedding sequence's hidden rows to its pool; a sequence whose prompt completes
    /// gets its vector.
    private func pool(_ output: SchedulerOutput, hidden: FloatBuffer, rows: Rows, into result: inout RunnerOutput) {
        let width = model.config.embeddingLength
        for item in output.scheduled {
            guard let spec = item.pool, let at = rows.hidden[item.id] else { continue }
            if let vector = pooler.add(item.id, spec, hidden: hidden.pointer + at.first * width, rows: at.count, width: width) {
                result.rows[item.id, default: RowResult()].embedding = vector
            }
        }
    }

    /// Samples every sequence that asks, rows in parallel on the pool (each has its own
    /// parameters, history and random stream, so results do not depend on the spread).
    /// Forks draw their first token from a copy of their parent's row. A row verifying guesses
    /// draws position after position, as if decoding one token per step, while draws equal guesses.
    private func sample(_ output: SchedulerOutput, logits: FloatBuffer, rows: Rows, into result: inout RunnerOutput) {
        let vocab = model.config.vocabularySize
        let forks = output.scheduled.filter { $0.sample?.logitsFrom != nil }.count
        let copies = FloatBuffer(count: forks * vocab, zeroed: false)  // (forks, vocab), each row copied below
        var jobs: [(item: ScheduledRequest, spec: SampleSpec, row: UnsafeMutablePointer<Float>)] = []
        var copied = 0
        for item in output.scheduled {
            guard let spec = item.sample else { continue }
            if let parent = spec.logitsFrom {
                guard let row = rows.sample[parent] else { continue }
                let copy = copies.pointer + copied * vocab
                copy.update(from: logits.pointer + row * vocab, count: vocab)
                copied += 1
                jobs.append((item, spec, copy))
            } else if let row = rows.sample[item.id] {
                jobs.append((item, spec, logits.pointer + row * vocab))
            }
        }
        var states = jobs.map { sequences[$0.item.id] ?? SequenceSampling(params: $0.spec.params, prompt: []) }
        let drawn = UnsafeMutableBufferPointer<SequenceSampling.Run>.allocate(capacity: jobs.count)
        defer { drawn.baseAddress?.deinitialize(count: jobs.count); drawn.deallocate() }
        states.withUnsafeMutableBufferPointer { s in
            let s = s.baseAddress!  // each task touches only its own element
            pool.run(tasks: jobs.count) { i in
                (drawn.baseAddress! + i).initialize(to: s[i].drawRun(jobs[i].row, vocab: vocab, spec: jobs[i].spec))
            }
        }
        for (i, job) in jobs.enumerated() {
            sequences[job.item.id] = states[i]
            let d = drawn[i]
            var row = result.rows[job.item.id] ?? RowResult()
            (row.tokens, row.logprobs, row.ended) = (d.tokens, d.logprobs, d.ended)
            result.rows[job.item.id] = row
            result.maskedRows += d.maskedRows
            result.maskNanos += d.maskNanos
        }
    }
}
