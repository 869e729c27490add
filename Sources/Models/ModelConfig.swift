import ModelFormats

/// Hyperparameters of a decoder-only transformer, read from the model file's metadata.
public struct ModelConfig: Sendable, Equatable {
    public var architecture: String
    public var vocabularySize: Int
    public var embeddingLength: Int          // model width
    public var blockCount: Int               // layers
    public var headCount: Int
    public var headCountKV: Int
    public var keyLength: Int                // per-head query/key width
    public var valueLength: Int              // per-head value width
    public var feedForwardLength: Int
    public var contextLength: Int            // trained context
    public var normEpsilon: Float
    public var ropeBase: Double
    public var ropeDimensionCount: Int
    public var ropeLinearScale: Double       // positions are divided by this (1 = none)
    public var ropeNeox: Bool                // rotate (i, i + d/2) pairs instead of (2i, 2i+1)
    public var slidingWindow: Int? = nil     // positions a local (sliding-window) attention layer sees
    /// Per-frequency divisors of the RoPE angles (ropeDimensionCount / 2): Llama 3's long-context
    /// scaling from a config.json, or the long/short factors LongRoPE (Phi-3) picked; nil: none,
    /// or a GGUF `rope_freqs` tensor.
    public var ropeFreqFactors: [Float]? = nil
    /// LongRoPE's attention factor: multiplies the rotated dimensions of queries and keys (1 = none).
    public var ropeAttentionFactor: Float = 1
    /// Layers whose attention takes no rotary embedding (SmolLM3's NoPE layers).
    public var noRopeLayers: Set<Int> = []
    /// How embeddings pool the final hidden states, when the file names it (`<arch>.pooling_type`).
    public var pooling: Pooling? = nil

    public var kvWidth: Int { headCountKV * keyLength }

    /// Reads `<arch>.*` keys the way llama.cpp names them.
    public static func fromGGUF(_ f: GGUFFile, ropeNeox: Bool) throws -> ModelConfig {
        do {
            let arch = try f.string("general.architecture")
            func key(_ k: String) -> String { "\(arch).\(k)" }
            func optInt(_ k: String) -> Int? { f.metadata[key(k)]?.int }
            let width = try f.int(key("embedding_length"))
            let heads = try f.int(key("attention.head_count"))
            guard heads > 0, width > 0 else { throw ModelError.badHyperparameter("head_count and embedding_length must be positive") }
            let headsKV = optInt("attention.head_count_kv") ?? heads
            let keyLength = optInt("attention.key_length") ?? width / heads
            let vocab = optInt("vocab_size") ?? f.metadata["tokenizer.ggml.tokens"]?.array?.count ?? 0
            var scale = 1.0
            if let type = f.metadata[key("rope.scaling.type")]?.string, type == "linear",
               let factor = f.metadata[key("rope.scaling.factor")]?.double, factor > 0 {
                scale = factor
            }
            var c = ModelConfig(
                architecture: arch,
                vocabularySize: vocab,
                embeddingLength: width,
                blockCount: try f.int(key("block_count")),
                headCount: heads,
                headCountKV: headsKV,
                keyLength: keyLength,
                valueLength: optInt("attention.value_length") ?? keyLength,
                feedForwardLength: try f.int(key("feed_forward_length")),
                contextLength: optInt("context_length") ?? 2048,
                normEpsilon: Float(f.metadata[key("attention.layer_norm_rms_epsilon")]?.double
                    ?? f.metadata[key("attention.layer_norm_epsilon")]?.double ?? 1e-5),
                ropeBase: f.metadata[key("rope.freq_base")]?.double ?? 10000,
                ropeDimensionCount: optInt("rope.dimension_count") ?? keyLength,
                ropeLinearScale: scale,
                ropeNeox: ropeNeox,
                ropeAttentionFactor: Float(f.metadata[key("rope.scaling.attn_factor")]?.double ?? 1))
            c.pooling = Pooling.fromGGUF(f)
            try c.validate()
            return c
        } catch let e as ModelFormatError {
            throw ModelError.format(e)
        }
    }

    func validate() throws {
        func check(_ ok: Bool, _ what: String) throws { if !ok { throw ModelError.badHyperparameter(what) } }
        try check(vocabularySize > 0 && vocabularySize < 1 << 24, "vocabulary size \(vocabularySize)")
        try check(blockCount > 0 && blockCount <= 1024, "block count \(blockCount)")
        try check(headCountKV > 0 && headCount % headCountKV == 0, "head counts \(headCount)/\(headCountKV)")
        try check(keyLength > 0 && keyLength <= 1024 && valueLength == keyLength, "head width \(keyLength)/\(valueLength)")
        try check(feedForwardLength > 0 && feedForwardLength < 1 << 20, "feed-forward length \(feedForwardLength)")
        try check(embeddingLength < 1 << 16, "embedding length \(embeddingLength)")
        try check(ropeDimensionCount > 0 && ropeDimensionCount <= keyLength && ropeDimensionCount % 2 == 0,
                  "rope dimension count \(ropeDimensionCount)")
        try check(contextLength > 0, "context length \(contextLength)")
        try check(normEpsilon > 0 && normEpsilon < 1, "norm epsilon \(normEpsilon)")
        try check(ropeBase > 1, "rope base \(ropeBase)")
        try check(ropeFreqFactors.map { $0.count == ropeDimensionCount / 2 && $0.allSatisfy { $0 > 0 } } ?? true,
                  "rope frequency factors (\(ropeFreqFactors?.count ?? 0), want \(ropeDimensionCount / 2) positive values)")
        try check(ropeAttentionFactor > 0 && ropeAttentionFactor.isFinite, "rope attention factor \(ropeAttentionFactor)")
    }
}
