import JSON

extension HFModelConfig {
    /// Gemma 3's text model: `Gemma3ForCausalLM` (270M, 1B: the keys at the top) or the
    /// `text_config` of `Gemma3ForConditionalGeneration` (4B and up, whose config.json leaves most
    /// keys to `Gemma3TextConfig`'s defaults, taken here: 8 heads, 4 KV heads, head_dim 256, …).
    /// The global layers' RoPE: `rope_theta` with `rope_scaling` (linear, factor 8 on 4B); the
    /// local layers': `rope_local_base_freq`, unscaled (transformers 5 writes both under
    /// `rope_parameters.full_attention` / `.sliding_attention`). What Tern's Gemma 3 does not run
    /// (another local base or layer pattern, soft-capping, a query scale other than head_dim^-1/2)
    /// is an error naming the key.
    @Sendable static func gemma3(_ json: JSON) throws -> ModelConfig {
        try reading(json) { root in
            let f = root["text_config"].isNull ? root : root["text_config"]
            func reject(_ key: String, _ bad: Bool, runs: String) throws {
                if bad { throw ModelError.badHyperparameter("gemma3 \(key) (Tern runs \(runs))") }
            }
            let width = try f["hidden_size"].optionalInt() ?? 2304, heads = try f["num_attention_heads"].optionalInt() ?? 8
            let headDim = try f["head_dim"].optionalInt() ?? 256, layers = try f["num_hidden_layers"].optionalInt() ?? 26
            guard heads > 0 else { throw ModelError.badHyperparameter("num_attention_heads must be positive") }
            if let activation = f["hidden_activation"].value?.stringValue ?? f["hidden_act"].value?.stringValue {
                try reject("hidden_activation '\(activation)'", activation != "gelu_pytorch_tanh", runs: "gelu_pytorch_tanh")
            }
            for key in ["final_logit_softcapping", "attn_logit_softcapping"] {
                try reject(key, !f[key].isNull, runs: "none")
            }
            try reject("query_pre_attn_scalar", try f["query_pre_attn_scalar"].double(default: 256) != Double(headDim), runs: "head_dim \(headDim)")
            try reject("use_bidirectional_attention", try f["use_bidirectional_attention"].bool(default: false), runs: "causal attention")
            let pattern = try f["sliding_window_pattern"].optionalInt() ?? Gemma3Model.slidingWindowPattern
            try reject("sliding_window_pattern \(pattern)", pattern != Gemma3Model.slidingWindowPattern, runs: "\(Gemma3Model.slidingWindowPattern)")
            if !f["layer_types"].isNull {
                let types = try f["layer_types"].array().map { try $0.string() }
                let expected = (0 ..< layers).map { ($0 + 1) % Gemma3Model.slidingWindowPattern == 0 ? "full_attention" : "sliding_attention" }
                try reject("layer_types", types != expected, runs: "every \(Gemma3Model.slidingWindowPattern)th layer full_attention")
            }
            // Global layers: theta and scaling; local layers: their own theta, never scaled.
            let parameters = f["rope_parameters"]
            let global = parameters["full_attention"].isNull ? f["rope_scaling"] : parameters["full_attention"]
            func theta(_ layers: String, else key: String, _ absent: Double) throws -> Double {
                let given = parameters[layers]["rope_theta"]
                return given.isNull ? try f[key].double(default: absent) : try given.double()
            }
            let globalTheta = try theta("full_attention", else: "rope_theta", 1_000_000)
            let localTheta = try theta("sliding_attention", else: "rope_local_base_freq", 10_000)
            try reject("rope_local_base_freq \(localTheta)", localTheta != Gemma3Model.localRopeBase, runs: "\(Gemma3Model.localRopeBase)")
            let localType = parameters["sliding_attention"]["rope_type"].value?.stringValue ?? "default"
            try reject("rope_parameters.sliding_attention.rope_type '\(localType)'", localType != "default", runs: "default")
            var c = ModelConfig(architecture: "gemma3", vocabularySize: try f["vocab_size"].optionalInt() ?? 262_208, embeddingLength: width,
                                blockCount: layers, headCount: heads, headCountKV: try f["num_key_value_heads"].optionalInt() ?? 4,
                                keyLength: headDim, valueLength: headDim, feedForwardLength: try f["intermediate_size"].optionalInt() ?? 9216,
                                contextLength: try f["max_position_embeddings"].optionalInt() ?? 131_072,
                                normEpsilon: Float(try f["rms_norm_eps"].double(default: 1e-6)),
                                ropeBase: globalTheta, ropeDimensionCount: headDim, ropeLinearScale: 1, ropeNeox: true)
            c.slidingWindow = try f["sliding_window"].optionalInt() ?? 4096
            if let window = c.slidingWindow, window <= 0 { throw ModelError.badHyperparameter("gemma3 sliding_window \(window)") }
            try RopeScaling.apply(global, config: f, to: &c)
            try reject("rope scaling other than linear", c.ropeFreqFactors != nil || c.ropeAttentionFactor != 1, runs: "linear")
            return c
        }
    }
}
