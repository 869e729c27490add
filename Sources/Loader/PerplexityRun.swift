import Kernels
import ModelFormats
import Models
import Tokenizers

/// `llama-perplexity`'s procedure on a loaded model: the text tokenized whole (BOS first when
/// llama.cpp would add one for this model), cut into chunks of `contextSize` tokens, each chunk
/// run from an empty KV cache with its first token replaced by BOS, and the second half of each
/// chunk scored: position p in contextSize/2 ..< contextSize − 1 predicts token p + 1.
public final class PerplexityRun: @unchecked Sendable {
    public let loaded: LoadedModel
    public let contextSize: Int
    /// Tokens per forward (llama.cpp's -b): a chunk runs in pieces of at most this many.
    public let batchSize: Int
    /// The token that replaces each chunk's first one; nil for a model that adds no BOS.
    public let bos: Int32?
    private let cache: PagedKVCache
    private let blockTable: [Int32]

    /// A run of chunks of `contextSize` tokens in forwards of at most `batchSize` (default: one per chunk).
    public init(loaded: LoadedModel, contextSize: Int, batchSize: Int? = nil) throws {
        guard contextSize >= 4 else { throw LoaderError.perplexity("--ctx-size must be at least 4 (got \(contextSize))") }
        let batch = batchSize ?? contextSize
        guard batch >= 1 else { throw LoaderError.perplexity("--batch-size must be positive (got \(batch))") }
        self.loaded = loaded
        self.contextSize = contextSize
        self.batchSize = min(batch, contextSize)
        bos = Self.addsBOS(loaded) ? loaded.tokenizer.bosTokenID : nil
        let blockSize = 16, numBlocks = (contextSize + blockSize - 1) / blockSize
        cache = loaded.model.makeCache(numBlocks: numBlocks, blockSize: blockSize, dtype: loaded.kvCacheDType)
        blockTable = (0 ..< Int32(numBlocks)).map { $0 }
    }

    /// Whether llama.cpp prepends BOS to this model's text: `tokenizer.ggml.add_bos_token` when
    /// the file has it, else llama.cpp's default for the tokenizer (SentencePiece and WordPiece
    /// yes; byte-level BPE only for the Llama-3-style pre-tokenizers). A checkpoint folder: its tokenizer's setting.
    public static func addsBOS(_ loaded: LoadedModel) -> Bool {
        guard case .gguf(let file) = loaded.source else { return loaded.tokenizer.addBOS }
        if let flag = file.metadata["tokenizer.ggml.add_bos_token"]?.bool { return flag }
        switch file.metadata["tokenizer.ggml.model"]?.string ?? "" {
        case "llama", "bert": return true
        case "t5", "rwkv": return false
        case "gpt2":
            let pre = file.metadata["tokenizer.ggml.pre"]?.string ?? ""
            return ["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "tekken", "chameleon"].contains(pre)
        default: return loaded.tokenizer.addBOS
        }
    }

    /// The whole text's tokens as llama-perplexity makes them (special-token spellings stay text).
    public func tokenize(_ text: String) -> [Int32] {
        let ids = loaded.tokenizer.encode(text, addSpecial: false, parseSpecial: false)
        return bos.map { [$0] + ids } ?? ids
    }

    /// Whole chunks in `tokens`; fewer than two is an error, as in llama-perplexity.
    public func chunkCount(_ tokens: [Int32]) throws -> Int {
        guard tokens.count >= 2 * contextSize else {
            throw LoaderError.perplexity("the text tokenizes to \(tokens.count) tokens; a context of \(contextSize) needs at least \(2 * contextSize)")
        }
        return tokens.count / contextSize
    }

    /// Scored positions per chunk.
    public var scoredPerChunk: Int { contextSize - 1 - contextSize / 2 }

    /// Runs chunk `chunk` of `tokens` and scores its second half, against `base` when given.
    /// (scoredPerChunk) positions, in order.
    public func score(chunk: Int, of tokens: [Int32], base: LlamaLogitsFile? = nil) throws -> [ScoredPosition] {
        let start = chunk * contextSize, first = contextSize / 2, last = contextSize - 1  // scored: first ..< last
        var input = Array(tokens[start ..< start + contextSize])  // (contextSize)
        if let bos { input[0] = bos }
        let vocab = loaded.model.config.vocabularySize
        var scored = [ScoredPosition](repeating: ScoredPosition(nll: 0), count: scoredPerChunk)
        for pieceStart in stride(from: 0, to: contextSize, by: batchSize) {
            let pieceEnd = min(contextSize, pieceStart + batchSize)
            let rows = Array(max(first, pieceStart) ..< max(min(last, pieceEnd), max(first, pieceStart)))
            var batch = ForwardBatch()
            batch.append(tokens: Array(input[pieceStart ..< pieceEnd]), startPosition: pieceStart, blockTable: blockTable,
                         logitsFor: rows.isEmpty ? [] : rows.map { $0 - pieceStart })
            let logits = try loaded.model.forward(batch, cache: cache)  // (rows.count, vocab)
            guard let p0 = rows.first else { continue }
            withExtendedLifetime(logits) {
                scored.withUnsafeMutableBufferPointer { out in
                    let out = out, logitsBase = UnsafePointer(logits.pointer)
                    loaded.pool.parallelRanges(rows.count, chunksPerThread: 2) { range in
                        for r in range {
                            let p = p0 + r, next = Int(tokens[start + p + 1]), row = logitsBase + r * vocab
                            out[p - first] = base.map { ScoredPosition(logits: row, vocab: vocab, token: next, base: $0.record(chunk: chunk, row: p - first)) }
                                ?? ScoredPosition(logits: row, vocab: vocab, token: next)
                        }
                    }
                }
            }
        }
        return scored
    }

    /// Checks that `base` was computed on these tokens with this context and vocabulary.
    public func check(base: LlamaLogitsFile, tokens: [Int32]) throws {
        let fail = { (reason: String) in LoaderError.badLogitsFile(path: base.path, reason: reason) }
        guard base.contextSize == contextSize else { throw fail("computed with a context of \(base.contextSize), not \(contextSize)") }
        let vocab = loaded.model.config.vocabularySize
        guard base.vocabularySize == vocab else { throw fail("a vocabulary of \(base.vocabularySize) tokens; this model has \(vocab)") }
        let n = base.tokens.count
        guard tokens.count >= n else { throw fail("\(base.chunkCount) chunks of \(contextSize) tokens (\(n)), but the text tokenizes to \(tokens.count)") }
        if let i = (0 ..< n).first(where: { base.tokens[$0] != tokens[$0] }) {
            let show = { (t: Int32) in "\(t) \(String(reflecting: self.loaded.tokenizer.tokenText(t) ?? "?"))" }
            throw fail("its tokens differ from this text's at token \(i) of \(n): file \(show(base.tokens[i])), Tern \(show(tokens[i])) (another text, or tokenization differs)")
        }
    }
}
