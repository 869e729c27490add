import Kernels
import Models

/// A smaller model with the target's vocabulary guesses greedily: `count` single-token
/// forwards per step, every proposing sequence in each. Its KV cache has the target's blocks
/// (same ids, same block size, its own storage): it runs every batch the target runs (without
/// logits), so each block the target holds — also one shared through the prefix cache or
/// copied on write — holds the draft's K/V of the same tokens. Guesses write K/V past the
/// computed tokens, into blocks the scheduler reserved for them; the next batch rewrites those
/// positions before anything reads them.
final class DraftModelProposer: Proposer {
    let model: any LanguageModel
    let cache: PagedKVCache

    init(model: any LanguageModel, numBlocks: Int, blockSize: Int, dtype: KVCacheDType) {
        self.model = model
        cache = model.makeCache(numBlocks: numBlocks, blockSize: blockSize, dtype: dtype, layout: model.kvLayout)
    }

    /// Why `draft` cannot guess for `target`, if it cannot: both must keep one block table (no
    /// sliding windows) and share the vocabulary size.
    static func check(_ draft: any LanguageModel, for target: any LanguageModel) throws {
        guard draft.kvLayout.numTables == 1, target.kvLayout.numTables == 1 else {
            throw SpeculativeConfig.Invalid(description: "a draft model needs the draft and the target without sliding-window layers (one KV block table each)")
        }
        guard draft.config.vocabularySize == target.config.vocabularySize else {
            throw SpeculativeConfig.Invalid(description: "the draft model's vocabulary has \(draft.config.vocabularySize) tokens, the target's \(target.config.vocabularySize): they must share one tokenizer")
        }
    }

    func observe(_ batch: ForwardBatch, copies: [(src: Int32, dst: Int32)]) throws {
        for (src, dst) in copies { cache.copyBlock(src, to: dst) }
        var kvOnly = batch
        for i in kvOnly.sequences.indices { kvOnly.sequences[i].logitRows = [] }
        _ = try model.forward(kvOnly, cache: cache)
    }

    func propose(_ requests: [ProposalRequest]) throws -> [SequenceID: [Int32]] {
        let vocab = model.config.vocabularySize
        // Per sequence: guesses stop where its tables end (the last guess's input sits at
        // position count(tokens) - 2 + count).
        let wanted: [Int] = requests.map { r in
            let capacity = (r.blockTables.first?.count ?? 0) * cache.blockSize
            return r.tokens.isEmpty ? 0 : max(0, min(r.count, capacity - r.tokens.count + 1))
        }
        var guesses: [[Int32]] = requests.map { _ in [] }
        var next: [Int32] = requests.map { $0.tokens.last ?? 0 }
        for step in 0 ..< (wanted.max() ?? 0) {
            let live = requests.indices.filter { step < wanted[$0] }
            var batch = ForwardBatch()
            for i in live {
                batch.append(tokens: [next[i]], startPosition: requests[i].tokens.count - 1 + step,
                             blockTables: requests[i].blockTables, logitsFor: [0])
            }
            let logits = try model.forward(batch, cache: cache)  // (live.count, vocab)
            for (row, i) in live.enumerated() {
                let t = Ops.argmax(logits.pointer + row * vocab, n: vocab)
                guesses[i].append(t)
                next[i] = t
            }
        }
        var out: [SequenceID: [Int32]] = [:]
        for (i, r) in requests.enumerated() where !guesses[i].isEmpty { out[r.id] = guesses[i] }
        return out
    }
}
