import Foundation
import ModelFormats

/// Hyperparameters from a Hugging Face `config.json` (a parsed JSON object), for the
/// families Tern runs from safetensors. The family is `architectures[0]`, else `model_type`.
public enum HFModelConfig {
    /// `architectures[0]` / `model_type` → Tern's family name.
    public static let families: [String: String] = [
        "LlamaForCausalLM": "llama", "llama": "llama",
        "Qwen2ForCausalLM": "qwen2", "qwen2": "qwen2",
        "GPT2LMHeadModel": "gpt2", "gpt2": "gpt2",
    ]

    /// The family a config names; an unknown one is an error listing the supported ones.
    public static func family(_ json: [String: Any]) throws -> String {
        let architecture = (json["architectures"] as? [Any])?.first as? String
        let modelType = json["model_type"] as? String
        if let architecture, let family = families[architecture] { return family }
        if let modelType, let family = families[modelType] { return family }
        throw ModelError.unsupportedArchitecture(architecture ?? modelType ?? "(config.json names no architecture)",
                                                 supported: families.keys.filter { $0.first?.isUppercase == true }.sorted())
    }

    public static func config(_ json: [String: Any]) throws -> ModelConfig {
        let family = try family(json)
        func int(_ key: String) throws -> Int {
            guard let n = JSONNumbers.integer(json[key]) else {
                throw ModelError.badHyperparameter("config.json: '\(key)' is missing or not an integer")
            }
            return n
        }
        func optInt(_ key: String) throws -> Int? { json[key] == nil || json[key] is NSNull ? nil : try int(key) }
        func double(_ key: String, _ fallback: Double) -> Double { JSONNumbers.double(json[key]) ?? fallback }

        let c: ModelConfig
        if family == "gpt2" {
            let width = try int("n_embd"), heads = try int("n_head")
            guard heads > 0, width % heads == 0 else { throw ModelError.badHyperparameter("n_embd \(width) is not a multiple of n_head \(heads)") }
            if let activation = json["activation_function"] as? String, !["gelu_new", "gelu_pytorch_tanh"].contains(activation) {
                throw ModelError.badHyperparameter("GPT-2 activation '\(activation)' (Tern runs gelu_new)")
            }
            c = ModelConfig(architecture: family, vocabularySize: try int("vocab_size"), embeddingLength: width,
                            blockCount: try int("n_layer"), headCount: heads, headCountKV: heads,
                            keyLength: width / heads, valueLength: width / heads,
                            feedForwardLength: try optInt("n_inner") ?? 4 * width,
                            contextLength: try optInt("n_positions") ?? optInt("n_ctx") ?? 1024,
                            normEpsilon: Float(double("layer_norm_epsilon", 1e-5)),
                            ropeBase: 10_000, ropeDimensionCount: width / heads, ropeLinearScale: 1, ropeNeox: false)
        } else {
            let width = try int("hidden_size"), heads = try int("num_attention_heads")
            guard heads > 0 else { throw ModelError.badHyperparameter("num_attention_heads must be positive") }
            let headDim = try optInt("head_dim") ?? width / heads
            var scale = 1.0
            if let scaling = json["rope_scaling"] as? [String: Any] {
                let type = scaling["rope_type"] as? String ?? scaling["type"] as? String ?? "?"
                guard type == "linear", let factor = JSONNumbers.double(scaling["factor"]), factor > 0 else {
                    throw ModelError.badHyperparameter("rope_scaling '\(type)' (Tern supports linear)")
                }
                scale = factor
            }
            // Hugging Face keeps Q/K in the rotate-half layout: NeoX rotation, no permutation.
            c = ModelConfig(architecture: family, vocabularySize: try int("vocab_size"), embeddingLength: width,
                            blockCount: try int("num_hidden_layers"), headCount: heads,
                            headCountKV: try optInt("num_key_value_heads") ?? heads,
                            keyLength: headDim, valueLength: headDim, feedForwardLength: try int("intermediate_size"),
                            contextLength: try optInt("max_position_embeddings") ?? 2048,
                            normEpsilon: Float(double("rms_norm_eps", 1e-6)), ropeBase: double("rope_theta", 10_000),
                            ropeDimensionCount: headDim, ropeLinearScale: scale, ropeNeox: true)
        }
        try c.validate()
        return c
    }
}
