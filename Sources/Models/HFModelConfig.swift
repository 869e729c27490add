import Foundation
import ModelFormats

/// Hyperparameters from a Hugging Face `config.json` (a parsed JSON object), one reading
/// per config layout; `ModelRegistry` picks the layout by the architecture the config names.
enum HFModelConfig {
    /// Llama-style keys (`hidden_size`, `num_attention_heads`, …: Llama, Qwen2).
    @Sendable static func llama(_ json: [String: Any], architecture: String) throws -> ModelConfig {
        let keys = Keys(json: json)
        let width = try keys.int("hidden_size"), heads = try keys.int("num_attention_heads")
        guard heads > 0 else { throw ModelError.badHyperparameter("num_attention_heads must be positive") }
        let headDim = try keys.optInt("head_dim") ?? width / heads
        var scale = 1.0
        if let scaling = json["rope_scaling"] as? [String: Any] {
            let type = scaling["rope_type"] as? String ?? scaling["type"] as? String ?? "?"
            guard type == "linear", let factor = JSONNumbers.double(scaling["factor"]), factor > 0 else {
                throw ModelError.badHyperparameter("rope_scaling '\(type)' (Tern supports linear)")
            }
            scale = factor
        }
        // Hugging Face keeps Q/K in the rotate-half layout: NeoX rotation, no permutation.
        let c = ModelConfig(architecture: architecture, vocabularySize: try keys.int("vocab_size"), embeddingLength: width,
                            blockCount: try keys.int("num_hidden_layers"), headCount: heads,
                            headCountKV: try keys.optInt("num_key_value_heads") ?? heads,
                            keyLength: headDim, valueLength: headDim, feedForwardLength: try keys.int("intermediate_size"),
                            contextLength: try keys.optInt("max_position_embeddings") ?? 2048,
                            normEpsilon: Float(keys.double("rms_norm_eps", 1e-6)), ropeBase: keys.double("rope_theta", 10_000),
                            ropeDimensionCount: headDim, ropeLinearScale: scale, ropeNeox: true)
        try c.validate()
        return c
    }

    /// GPT-2's keys (`n_embd`, `n_head`, …).
    @Sendable static func gpt2(_ json: [String: Any]) throws -> ModelConfig {
        let keys = Keys(json: json)
        let width = try keys.int("n_embd"), heads = try keys.int("n_head")
        guard heads > 0, width % heads == 0 else { throw ModelError.badHyperparameter("n_embd \(width) is not a multiple of n_head \(heads)") }
        if let activation = json["activation_function"] as? String, !["gelu_new", "gelu_pytorch_tanh"].contains(activation) {
            throw ModelError.badHyperparameter("GPT-2 activation '\(activation)' (Tern runs gelu_new)")
        }
        let c = ModelConfig(architecture: "gpt2", vocabularySize: try keys.int("vocab_size"), embeddingLength: width,
                            blockCount: try keys.int("n_layer"), headCount: heads, headCountKV: heads,
                            keyLength: width / heads, valueLength: width / heads,
                            feedForwardLength: try keys.optInt("n_inner") ?? 4 * width,
                            contextLength: try keys.optInt("n_positions") ?? keys.optInt("n_ctx") ?? 1024,
                            normEpsilon: Float(keys.double("layer_norm_epsilon", 1e-5)),
                            ropeBase: 10_000, ropeDimensionCount: width / heads, ropeLinearScale: 1, ropeNeox: false)
        try c.validate()
        return c
    }

    /// Typed reads of config.json values; a missing or mistyped value is an error naming its key.
    private struct Keys {
        let json: [String: Any]

        func int(_ key: String) throws -> Int {
            guard let n = JSONNumbers.integer(json[key]) else {
                throw ModelError.badHyperparameter("config.json: '\(key)' is missing or not an integer")
            }
            return n
        }

        func optInt(_ key: String) throws -> Int? { json[key] == nil || json[key] is NSNull ? nil : try int(key) }

        func double(_ key: String, _ fallback: Double) -> Double { JSONNumbers.double(json[key]) ?? fallback }
    }
}
