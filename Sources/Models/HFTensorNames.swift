/// Where a tensor Tern names the GGUF way lives in a Hugging Face checkpoint, one mapping per
/// checkpoint layout (each `ModelRegistry` entry names its own): candidate names (GPT-2
/// checkpoints come with and without the `transformer.` prefix), whether it is stored
/// transposed (GPT-2's Conv1D keeps weights as (in, out)), and a constant the GGUF form adds
/// to a vector (Gemma's norm weights: the checkpoint holds w, the GGUF file 1 + w).
public enum HFTensorNames {
    public struct Location: Equatable, Sendable {
        public var candidates: [String]
        public var transposed: Bool
        public var offset: Float = 0  // added to each element of a vector (norm weights only)
    }

    /// A GGUF name's layer (nil for a global tensor) and the rest of it: `blk.3.attn_q.weight` → (3, `attn_q.weight`).
    private static func layerAndRest(_ gguf: String) -> (layer: Int?, rest: String)? {
        guard gguf.hasPrefix("blk.") else { return (nil, gguf) }
        let parts = gguf.split(separator: ".", maxSplits: 2)
        guard parts.count == 3, let n = Int(parts[1]) else { return nil }
        return (n, String(parts[2]))
    }

    private static let llamaGlobal = ["token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
                                      "output.weight": "lm_head.weight"]
    private static let llamaLayer = [
        "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
        "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
        "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
        "attn_q_norm": "self_attn.q_norm", "attn_k_norm": "self_attn.k_norm",
    ]
    /// Phi-3's fused projections in place of the separate ones.
    private static let phi3Layer = llamaLayer.filter { !["attn_q", "attn_k", "attn_v", "ffn_gate", "ffn_up"].contains($0.key) }
        .merging(["attn_qkv": "self_attn.qkv_proj", "ffn_up": "mlp.gate_up_proj"]) { $1 }

    /// Llama, Mistral, Qwen2 and Qwen3 checkpoints (`model.layers.N.self_attn.q_proj.weight`, …).
    @Sendable static func llama(_ gguf: String) -> Location? { llamaLike(gguf, layers: llamaLayer) }

    /// Phi-3 checkpoints (`model.layers.N.self_attn.qkv_proj.weight`, `mlp.gate_up_proj`, …).
    @Sendable static func phi3(_ gguf: String) -> Location? { llamaLike(gguf, layers: phi3Layer) }

    private static func llamaLike(_ gguf: String, layers: [String: String]) -> Location? {
        guard let (layer, rest) = layerAndRest(gguf) else { return nil }
        guard let layer else { return llamaGlobal[rest].map { Location(candidates: [$0], transposed: false) } }
        let (base, suffix) = split(rest)
        return layers[base].map { Location(candidates: ["model.layers.\(layer).\($0).\(suffix)"], transposed: false) }
    }

    private static let gemma3Layer = [
        "attn_norm": "input_layernorm", "post_attention_norm": "post_attention_layernorm",
        "ffn_norm": "pre_feedforward_layernorm", "post_ffw_norm": "post_feedforward_layernorm",
        "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
        "attn_q_norm": "self_attn.q_norm", "attn_k_norm": "self_attn.k_norm",
        "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
    ]

    /// Gemma 3 checkpoints: `Gemma3ForCausalLM` (`model.layers.N…`) and the text part of
    /// `Gemma3ForConditionalGeneration` (`language_model.model.layers.N…` as gemma-3-4b-it ships,
    /// `model.language_model.layers.N…` as newer transformers saves it). Norm weights are stored
    /// as w and scale by 1 + w (Gemma3RMSNorm); the GGUF form, which the model reads, holds 1 + w.
    @Sendable static func gemma3(_ gguf: String) -> Location? {
        guard let (layer, rest) = layerAndRest(gguf) else { return nil }
        let (base, suffix) = split(rest)
        let name: String
        if let layer {
            guard let mapped = gemma3Layer[base] else { return nil }
            name = "layers.\(layer).\(mapped).\(suffix)"
        } else {
            guard let mapped = ["token_embd": "embed_tokens", "output_norm": "norm"][base] else { return nil }
            name = "\(mapped).\(suffix)"
        }
        return Location(candidates: ["model.", "language_model.model.", "model.language_model."].map { $0 + name },
                        transposed: false, offset: base.hasSuffix("norm") ? 1 : 0)
    }

    private static let gpt2Global = ["token_embd": "wte", "position_embd": "wpe", "output_norm": "ln_f", "output": "lm_head"]
    private static let gpt2Layer = ["attn_norm": "ln_1", "attn_qkv": "attn.c_attn", "attn_output": "attn.c_proj",
                                    "ffn_norm": "ln_2", "ffn_up": "mlp.c_fc", "ffn_down": "mlp.c_proj"]

    /// GPT-2 checkpoints (`h.N.attn.c_attn.weight`, with or without `transformer.`).
    @Sendable static func gpt2(_ gguf: String) -> Location? {
        guard let (layer, rest) = layerAndRest(gguf) else { return nil }
        let (base, suffix) = split(rest)
        let name: String
        var transposed = false
        if let layer {
            guard let mapped = gpt2Layer[base] else { return nil }
            name = "h.\(layer).\(mapped).\(suffix)"
            transposed = suffix == "weight" && mapped.contains(".c_")  // Conv1D: (in, out)
        } else {
            guard let mapped = gpt2Global[base] else { return nil }
            if mapped == "lm_head" { return Location(candidates: ["lm_head.\(suffix)"], transposed: false) }
            name = "\(mapped).\(suffix)"
        }
        return Location(candidates: [name, "transformer." + name], transposed: transposed)
    }

    private static let bertGlobal = ["token_embd": "embeddings.word_embeddings", "position_embd": "embeddings.position_embeddings",
                                     "token_types": "embeddings.token_type_embeddings", "token_embd_norm": "embeddings.LayerNorm"]
    private static let bertLayer = ["attn_q": "attention.self.query", "attn_k": "attention.self.key", "attn_v": "attention.self.value",
                                    "attn_output": "attention.output.dense", "attn_output_norm": "attention.output.LayerNorm",
                                    "ffn_up": "intermediate.dense", "ffn_down": "output.dense", "layer_output_norm": "output.LayerNorm"]

    /// BERT checkpoints (`encoder.layer.N.attention.self.query.weight`, with or without `bert.`).
    @Sendable static func bert(_ gguf: String) -> Location? {
        guard let (layer, rest) = layerAndRest(gguf) else { return nil }
        let (base, suffix) = split(rest)
        guard let mapped = layer.map({ l in bertLayer[base].map { "encoder.layer.\(l).\($0)" } }) ?? bertGlobal[base] else { return nil }
        let name = "\(mapped).\(suffix)"
        return Location(candidates: [name, "bert." + name], transposed: false)
    }

    private static let nomicGlobal = ["token_embd": "embeddings.word_embeddings", "token_types": "embeddings.token_type_embeddings",
                                      "token_embd_norm": "emb_ln"]
    private static let nomicLayer = ["attn_qkv": "attn.Wqkv", "attn_output": "attn.out_proj", "attn_output_norm": "norm1",
                                     "ffn_up": "mlp.fc11", "ffn_gate": "mlp.fc12", "ffn_down": "mlp.fc2", "layer_output_norm": "norm2"]

    /// nomic-bert checkpoints (`encoder.layers.N.attn.Wqkv.weight`, …).
    @Sendable static func nomicBert(_ gguf: String) -> Location? {
        guard let (layer, rest) = layerAndRest(gguf) else { return nil }
        let (base, suffix) = split(rest)
        guard let mapped = layer.map({ l in nomicLayer[base].map { "encoder.layers.\(l).\($0)" } }) ?? nomicGlobal[base] else { return nil }
        return Location(candidates: ["\(mapped).\(suffix)"], transposed: false)
    }

    /// `attn_q.weight` → (`attn_q`, `weight`).
    private static func split(_ s: String) -> (String, String) {
        guard let dot = s.lastIndex(of: ".") else { return (s, "") }
        return (String(s[..<dot]), String(s[s.index(after: dot)...]))
    }
}
