import Foundation

/// A writer of llama-perplexity's `--kl-divergence-base` layout, for the tests: "_logits_",
/// int32 n_ctx, n_vocab, n_chunk, int32 tokens[n_chunk * n_ctx], then per chunk per scored
/// position one record of float32 scale and min log-prob and n_vocab uint16 (padded to even),
/// quantized as llama.cpp does: within 16 of the top logit over 65535 steps, lower ones 0.
struct LogitsFileWriter {
    let contextSize: Int
    let vocabularySize: Int
    var data = Data()

    init(contextSize: Int, vocabularySize: Int, tokens: [Int32]) {
        self.contextSize = contextSize
        self.vocabularySize = vocabularySize
        data.append(contentsOf: Array("_logits_".utf8))
        append([Int32(contextSize), Int32(vocabularySize), Int32(tokens.count / contextSize)])
        append(tokens)
    }

    private mutating func append<T>(_ values: [T]) {
        values.withUnsafeBytes { data.append(contentsOf: $0) }
    }

    /// The quantized log-probabilities of one scored position's (vocab) logits; returns them
    /// as the file states them (scale * q + minLogProb).
    @discardableResult
    mutating func appendRecord(logits: [Float]) -> [Float] {
        let maxLogit = logits.max() ?? 0
        let minLogit = max(logits.min() ?? 0, maxLogit - 16)
        let logSumExp = Float(log(logits.reduce(0.0) { $0 + Double(expf($1 - maxLogit)) }))
        let minLogProb = minLogit - maxLogit - logSumExp
        let scale = (maxLogit - minLogit) / 65535
        let q: [UInt16] = logits.map { l in
            scale > 0 && l > minLogit ? UInt16(((l - minLogit) / scale).rounded(.toNearestOrEven)) : 0
        }
        append([scale, minLogProb])
        append(q + (vocabularySize % 2 == 1 ? [0] : []))
        return q.map { scale * Float($0) + minLogProb }
    }

    func write(to path: String) throws { try data.write(to: URL(fileURLWithPath: path)) }
}
