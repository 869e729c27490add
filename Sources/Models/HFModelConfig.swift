import JSON
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
    public static func family(_ json: JSON) throws -> String {
        let architecture = json["architectures"]?.arrayValue?.first?.stringValue
        let modelType = json["model_type"]?.stringValue
        if let architecture, let family = families[architecture] { return family }
        if let modelType, let family = families[modelType] { return family }
        throw ModelError.unsupportedArchitecture(architecture ?? modelType ?? "(config.json names no architecture)",
                                                 supported: families.keys.filter { $0.first?.isUppercase == true }.sorted())
    }

    /// The hyperparameters of config.json; a missing or mistyped value is an error naming it.
    public static func config(_ json: JSON) throws -> ModelConfig {
        let family = try family(json)
        let c: ModelConfig
        do {
            let f = JSONField(json, name: "config.json")
            c = family == "gpt2" ? try gpt2(f) : try llama(family, f)
        } catch let error as JSONFieldError {
            throw ModelError.badHyperparameter("\(error)")
        }
        try c.validate()
        return c
    }

    static func gpt2(_ f: JSONField) throws -> ModelConfig {
        let width = try f["n_embd"].int(), heads = try f["n_head"].int()
        guard heads > 0, width % heads == 0 else { throw ModelError.badHyperparameter("n_embd \(width) is not a multiple of n_head \(heads)") }
        if let activation = f["activation_function"].value?.stringValue, !["gelu_new", "gelu_pytorch_tanh"].contains(activation) {
            throw ModelError.badHyperparameter("GPT-2 activation '\(activation)' (Tern runs gelu_new)")
        }
        return ModelConfig(architecture: "gpt2", vocabularySize: try f["vocab_size"].int(), embeddingLength: width,
                           blockCount: try f["n_layer"].int(), headCount: heads, headCountKV: heads,
                           keyLength: width / heads, valueLength: width / heads,
                           feedForwardLength: try f["n_inner"].optionalInt() ?? 4 * width,
                           contextLength: try f["n_positions"].optionalInt() ?? f["n_ctx"].optionalInt() ?? 1024,
                           normEpsilon: Float(try f["layer_norm_epsilon"].double(default: 1e-5)),
                           ropeBase: 10_000, ropeDimensionCount: width / heads, ropeLinearScale: 1, ropeNeox: false)
    }

    /// Llama and Qwen2.
    static func llama(_ family: String, _ f: JSONField) throws -> ModelConfig {
        let width = try f["hidden_size"].int(), heads = try f["num_attention_heads"].int()
        guard heads > 0 else { throw ModelError.badHyperparameter("num_attention_heads must be positive") }
        let headDim = try f["head_dim"].optionalInt() ?? width / heads
        var scale = 1.0
        let scaling = f["rope_scaling"]
        if !scaling.isNull {
            let type = scaling["rope_type"].value?.stringValue ?? scaling["type"].value?.stringValue ?? "?"
            guard type == "linear", let factor = scaling["factor"].value?.doubleValue, factor > 0 else {
                throw ModelError.badHyperparameter("rope_scaling '\(type)' (Tern supports linear)")
            }
            scale = factor
        }
        // Hugging Face keeps Q/K in the rotate-half layout: NeoX rotation, no permutation.
        return ModelConfig(architecture: family, vocabularySize: try f["vocab_size"].int(), embeddingLength: width,
                           blockCount: try f["num_hidden_layers"].int(), headCount: heads,
                           headCountKV: try f["num_key_value_heads"].optionalInt() ?? heads,
                           keyLength: headDim, valueLength: headDim, feedForwardLength: try f["intermediate_size"].int(),
                           contextLength: try f["max_position_embeddings"].optionalInt() ?? 2048,
                           normEpsilon: Float(try f["rms_norm_eps"].double(default: 1e-6)),
                           ropeBase: try f["rope_theta"].double(default: 10_000),
                           ropeDimensionCount: headDim, ropeLinearScale: scale, ropeNeox: true)
    }
}
