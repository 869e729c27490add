import JSON
import ModelFormats

/// Hyperparameters from a Hugging Face `config.json` (parsed JSON), one reading per config
/// layout; `ModelRegistry` picks the layout by the architecture the config names. A missing
/// or mistyped value is an error naming it.
enum HFModelConfig {
    /// Llama-style keys (`hidden_size`, `num_attention_heads`, …: Llama, Mistral, Qwen2, Qwen3,
    /// Phi-3), with `rope_scaling` or `rope_parameters` (see `RopeScaling`) and
    /// `partial_rotary_factor` (Phi-4-mini).
    @Sendable static func llama(_ json: JSON, architecture: String) throws -> ModelConfig {
        try reading(json) { f in
            let width = try f["hidden_size"].int(), heads = try f["num_attention_heads"].int()
            guard heads > 0 else { throw ModelError.badHyperparameter("num_attention_heads must be positive") }
            let headDim = try f["head_dim"].optionalInt() ?? width / heads
            let rotary = try f["partial_rotary_factor"].double(default: 1)
            // Newer configs (transformers 5) keep theta and scaling in `rope_parameters`.
            let rope = f["rope_scaling"].isNull ? f["rope_parameters"] : f["rope_scaling"]
            let theta = f["rope_theta"].isNull ? try f["rope_parameters"]["rope_theta"].double(default: 10_000) : try f["rope_theta"].double()
            // Hugging Face keeps Q/K in the rotate-half layout: NeoX rotation, no permutation.
            var c = ModelConfig(architecture: architecture, vocabularySize: try f["vocab_size"].int(), embeddingLength: width,
                                blockCount: try f["num_hidden_layers"].int(), headCount: heads,
                                headCountKV: try f["num_key_value_heads"].optionalInt() ?? heads,
                                keyLength: headDim, valueLength: headDim, feedForwardLength: try f["intermediate_size"].int(),
                                contextLength: try f["max_position_embeddings"].optionalInt() ?? 2048,
                                normEpsilon: Float(try f["rms_norm_eps"].double(default: 1e-6)),
                                ropeBase: theta,
                                ropeDimensionCount: Int(Double(headDim) * rotary), ropeLinearScale: 1, ropeNeox: true)
            try RopeScaling.apply(rope, config: f, to: &c)
            return c
        }
    }

    /// Llama's keys; a Mistral checkpoint (run as `llama`) adds its sliding window when
    /// `sliding_window` is set (null from v0.2 on).
    @Sendable static func llamaOrMistral(_ json: JSON) throws -> ModelConfig {
        var c = try llama(json, architecture: "llama")
        let names = [json["model_type"]?.stringValue, json["architectures"]?.arrayValue?.first?.stringValue]
        guard names.contains("mistral") || names.contains("MistralForCausalLM") else { return c }
        do {
            c.slidingWindow = try JSONField(json, name: "config.json")["sliding_window"].optionalInt()
        } catch let error as JSONFieldError {
            throw ModelError.badHyperparameter("\(error)")
        }
        if let window = c.slidingWindow, window <= 0 { throw ModelError.badHyperparameter("sliding_window \(window)") }
        return c
    }

    /// SmolLM3: Llama's keys, with `no_rope_layers` (1: the layer rotates, 0: it does not), else
    /// every `no_rope_layer_interval`-th layer (default 4) without RoPE.
    @Sendable static func smollm3(_ json: JSON) throws -> ModelConfig {
        var c = try llama(json, architecture: "smollm3")
        let f = JSONField(json, name: "config.json")
        do {
            if !f["no_rope_layers"].isNull {
                let flags = try f["no_rope_layers"].array().map { try $0.int() }
                c.noRopeLayers = Set(flags.indices.filter { flags[$0] == 0 })
            } else {
                let interval = try f["no_rope_layer_interval"].optionalInt() ?? 4
                guard interval > 0 else { throw ModelError.badHyperparameter("no_rope_layer_interval \(interval)") }
                c.noRopeLayers = Set((0 ..< c.blockCount).filter { ($0 + 1) % interval == 0 })
            }
        } catch let error as JSONFieldError {
            throw ModelError.badHyperparameter("\(error)")
        }
        return c
    }

    /// SmolLM3 from GGUF: llama.cpp's layout (interleaved rotation) with every fourth layer
    /// without RoPE, as llama.cpp fixes it.
    @Sendable static func smollm3GGUF(_ file: GGUFFile) throws -> ModelConfig {
        var c = try ModelConfig.fromGGUF(file, ropeNeox: false)
        c.noRopeLayers = Set((0 ..< c.blockCount).filter { ($0 + 1) % 4 == 0 })
        return c
    }

    /// GPT-2's keys (`n_embd`, `n_head`, …).
    @Sendable static func gpt2(_ json: JSON) throws -> ModelConfig {
        try reading(json) { f in
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
    }

    /// BERT encoders (`BertModel`): post-norm, learned positions, erf GELU.
    @Sendable static func bert(_ json: JSON) throws -> ModelConfig {
        try reading(json) { f in
            let width = try f["hidden_size"].int(), heads = try f["num_attention_heads"].int()
            guard heads > 0, width % heads == 0 else {
                throw ModelError.badHyperparameter("hidden_size \(width) is not a multiple of num_attention_heads \(heads)")
            }
            if let activation = f["hidden_act"].value?.stringValue, activation != "gelu" {
                throw ModelError.badHyperparameter("BERT activation '\(activation)' (Tern runs gelu)")
            }
            if let type = f["position_embedding_type"].value?.stringValue, type != "absolute" {
                throw ModelError.badHyperparameter("BERT position_embedding_type '\(type)' (Tern runs absolute)")
            }
            return ModelConfig(architecture: "bert", vocabularySize: try f["vocab_size"].int(), embeddingLength: width,
                               blockCount: try f["num_hidden_layers"].int(), headCount: heads, headCountKV: heads,
                               keyLength: width / heads, valueLength: width / heads,
                               feedForwardLength: try f["intermediate_size"].int(),
                               contextLength: try f["max_position_embeddings"].optionalInt() ?? 512,
                               normEpsilon: Float(try f["layer_norm_eps"].double(default: 1e-12)),
                               ropeBase: 10_000, ropeDimensionCount: width / heads, ropeLinearScale: 1, ropeNeox: false)
        }
    }

    /// nomic-bert encoders (`NomicBertModel`): post-norm, rotary (NeoX, whole head), SwiGLU, no biases.
    @Sendable static func nomicBert(_ json: JSON) throws -> ModelConfig {
        try reading(json) { f in
            let width = try f["n_embd"].int(), heads = try f["n_head"].int()
            guard heads > 0, width % heads == 0 else { throw ModelError.badHyperparameter("n_embd \(width) is not a multiple of n_head \(heads)") }
            for (key, want) in [("activation_function", "swiglu")] where f[key].value?.stringValue.map({ $0 != want }) == true {
                throw ModelError.badHyperparameter("nomic-bert \(key) (Tern runs \(want))")
            }
            for key in ["qkv_proj_bias", "mlp_fc1_bias", "mlp_fc2_bias", "prenorm", "rotary_emb_interleaved"] where try f[key].bool(default: false) {
                throw ModelError.badHyperparameter("nomic-bert \(key) true (Tern runs false)")
            }
            guard try f["rotary_emb_fraction"].double(default: 1) == 1 else { throw ModelError.badHyperparameter("nomic-bert rotary_emb_fraction (Tern runs 1)") }
            return ModelConfig(architecture: "nomic-bert", vocabularySize: try f["vocab_size"].int(), embeddingLength: width,
                               blockCount: try f["n_layer"].int(), headCount: heads, headCountKV: heads,
                               keyLength: width / heads, valueLength: width / heads, feedForwardLength: try f["n_inner"].int(),
                               contextLength: try f["n_positions"].optionalInt() ?? 2048,
                               normEpsilon: Float(try f["layer_norm_epsilon"].double(default: 1e-12)),
                               ropeBase: try f["rotary_emb_base"].double(default: 1000), ropeDimensionCount: width / heads,
                               ropeLinearScale: 1, ropeNeox: true)
        }
    }

    /// Runs `read` over config.json, turning the reader's errors into hyperparameter errors,
    /// and validates the result.
    static func reading(_ json: JSON, _ read: (JSONField) throws -> ModelConfig) throws -> ModelConfig {
        let c: ModelConfig
        do {
            c = try read(JSONField(json, name: "config.json"))
        } catch let error as JSONFieldError {
            throw ModelError.badHyperparameter("\(error)")
        }
        try c.validate()
        return c
    }
}
