import Foundation
import JSON
import Kernels
import ModelFormats
import Models
import XCTest

/// The architecture a file names picks the implementation; an unknown one is a clear error.
final class ModelRegistryTests: XCTestCase {
    /// A GGUF v3 file with no tensors and one metadata key, `general.architecture`.
    func ggufNaming(_ architecture: String) throws -> String {
        var bytes = Array("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
        u32(3); u64(0); u64(1)
        string("general.architecture"); u32(8); string(architecture)
        bytes += [UInt8](repeating: 0, count: (32 - bytes.count % 32) % 32)  // aligned start of (no) tensor data
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tern-arch-\(UUID().uuidString).gguf").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testUnknownGGUFArchitectureIsNamedWithTheSupportedOnes() throws {
        let file = try GGUFFile(path: ggufNaming("mamba"))
        XCTAssertThrowsError(try ModelRegistry.load(file, matmul: Matmul(pool: TestModels.pool))) { error in
            XCTAssertEqual(error as? ModelError, .unsupportedArchitecture("mamba", supported: ["bert", "gemma3", "gpt2", "llama", "nomic-bert", "phi3", "qwen2", "qwen3", "smollm3"]))
            XCTAssertEqual("\(error)", "unsupported architecture 'mamba'; supported: bert, gemma3, gpt2, llama, nomic-bert, phi3, qwen2, qwen3, smollm3")
        }
    }

    func testHuggingFaceConfigsNameTheirFamily() throws {
        func family(_ json: JSON) throws -> String { try ModelRegistry.architecture(hfConfig: json).name }
        XCTAssertEqual(try family(["architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2"]), "qwen2")
        XCTAssertEqual(try family(["model_type": "gpt2"]), "gpt2")
        XCTAssertEqual(try family(["architectures": ["LlamaForCausalLM"]]), "llama")
        XCTAssertEqual(try family(["architectures": ["MistralForCausalLM"], "model_type": "mistral"]), "llama")
        XCTAssertEqual(try family(["architectures": ["Qwen3ForCausalLM"]]), "qwen3")
        XCTAssertEqual(try family(["architectures": ["Phi3ForCausalLM"], "model_type": "phi3"]), "phi3")
        XCTAssertEqual(try family(["architectures": ["BertModel"], "model_type": "bert"]), "bert")
        XCTAssertEqual(try family(["architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text"]), "gemma3")
        XCTAssertEqual(try family(["architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3"]), "gemma3")
        XCTAssertThrowsError(try family(["architectures": ["MambaForCausalLM"], "model_type": "mamba"])) { error in
            XCTAssertEqual("\(error)", "unsupported architecture 'MambaForCausalLM'; supported: BertModel, GPT2LMHeadModel, Gemma3ForCausalLM, "
                           + "Gemma3ForConditionalGeneration, LlamaForCausalLM, MistralForCausalLM, NomicBertModel, Phi3ForCausalLM, "
                           + "Qwen2ForCausalLM, Qwen3ForCausalLM, SmolLM3ForCausalLM")
        }
        XCTAssertThrowsError(try family([:]))
    }

    func testHuggingFaceConfigValues() throws {
        let qwen = try ModelRegistry.config(hfConfig: [
            "architectures": ["Qwen2ForCausalLM"], "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
            "num_key_value_heads": 2, "num_hidden_layers": 2, "rms_norm_eps": 1e-6, "rope_theta": 1_000_000.0,
            "vocab_size": 640, "max_position_embeddings": 128, "rope_scaling": .null,
        ])
        XCTAssertEqual(qwen.headCountKV, 2)
        XCTAssertEqual(qwen.keyLength, 16)
        XCTAssertEqual(qwen.ropeBase, 1_000_000)
        // transformers 5 writes theta (and any scaling) under rope_parameters.
        let newer = try ModelRegistry.config(hfConfig: [
            "architectures": ["Qwen3ForCausalLM"], "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
            "num_hidden_layers": 2, "head_dim": 32, "vocab_size": 640, "rope_parameters": ["rope_type": "default", "rope_theta": 1_000_000.0],
        ])
        XCTAssertEqual(newer.ropeBase, 1_000_000)
        XCTAssertEqual(newer.keyLength, 32)
        XCTAssertTrue(qwen.ropeNeox)
        let gpt2 = try ModelRegistry.config(hfConfig: ["model_type": "gpt2", "n_embd": 64, "n_head": 4, "n_layer": 2, "n_positions": 128,
                                             "vocab_size": 500, "layer_norm_epsilon": 1e-5])
        XCTAssertEqual(gpt2.feedForwardLength, 256)
        XCTAssertEqual(gpt2.contextLength, 128)
        // Missing or mistyped values are errors naming the key, never traps.
        for bad: JSON in [["model_type": "gpt2", "n_embd": 64, "n_head": 4, "n_layer": 2, "vocab_size": "500"],
                                   ["model_type": "gpt2", "n_embd": 64, "n_head": 3, "n_layer": 2, "vocab_size": 500],
                                   ["model_type": "qwen2", "hidden_size": 64.5, "num_attention_heads": 4],
                                   ["model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
                                    "num_hidden_layers": 2, "vocab_size": 10, "rope_scaling": ["rope_type": "yarn", "factor": 4]]] {
            XCTAssertThrowsError(try ModelRegistry.config(hfConfig: bad), bad.serialized)
        }
    }

    /// Mistral 7B's config.json: Llama's keys, with the sliding window when set (v0.1) and
    /// without when null (v0.2/v0.3); Qwen2's `sliding_window` (off by `use_sliding_window`) is not read.
    func testMistralConfigsRunAsLlama() throws {
        var json: JSON = [
            "architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_size": 4096, "intermediate_size": 14336,
            "num_attention_heads": 32, "num_key_value_heads": 8, "num_hidden_layers": 32, "rms_norm_eps": 1e-5,
            "rope_theta": 1_000_000.0, "vocab_size": 32768, "max_position_embeddings": 32768, "sliding_window": .null,
        ]
        let v3 = try ModelRegistry.config(hfConfig: json)
        XCTAssertEqual(v3.architecture, "llama")
        XCTAssertEqual(v3.keyLength, 128)
        XCTAssertNil(v3.slidingWindow)
        json = setting(json, "sliding_window", 4096)
        XCTAssertEqual(try ModelRegistry.config(hfConfig: json).slidingWindow, 4096)
        XCTAssertThrowsError(try ModelRegistry.config(hfConfig: setting(json, "sliding_window", 0)))
        json = setting(setting(json, "architectures", ["Qwen2ForCausalLM"]), "model_type", "qwen2")
        XCTAssertNil(try ModelRegistry.config(hfConfig: json).slidingWindow)
    }

    /// `json` with `key` set to `value`.
    func setting(_ json: JSON, _ key: String, _ value: JSON) -> JSON {
        var entries = json.objectValue ?? []
        entries.removeAll { $0.0 == key }
        return .object(entries + [(key, value)])
    }

    /// Phi-3's LongRoPE from config.json: long factors when the context exceeds the original
    /// one (with the attention factor), short ones when it does not; partial rotary dimensions.
    func testPhi3LongRoPEChoice() throws {
        let url = TestModels.fixtures.appendingPathComponent("tiny-phi3/config.json")
        let json = try JSONParser.parse(Data(contentsOf: url))
        let scaling = try XCTUnwrap(json["rope_scaling"])
        let long = try XCTUnwrap(scaling["long_factor"]?.arrayValue).compactMap { $0.doubleValue.map(Float.init) }
        let short = try XCTUnwrap(scaling["short_factor"]?.arrayValue).compactMap { $0.doubleValue.map(Float.init) }
        let c = try ModelRegistry.config(hfConfig: json)
        XCTAssertEqual(c.ropeDimensionCount, 12)  // 16 × partial_rotary_factor 0.75
        XCTAssertEqual(c.ropeFreqFactors, long)
        XCTAssertEqual(c.ropeAttentionFactor, Float((1 + log(4.0) / log(32.0)).squareRoot()), accuracy: 1e-6)
        let atOriginal = try ModelRegistry.config(hfConfig: setting(json, "max_position_embeddings", 32))
        XCTAssertEqual(atOriginal.ropeFreqFactors, short)
        XCTAssertEqual(atOriginal.ropeAttentionFactor, 1)
        // The GGUF conversion picks the same way, from its factor tensors.
        let gguf = try ModelRegistry.load(GGUFFile(path: TestModels.fixtures.appendingPathComponent("tiny-phi3/model.gguf").path),
                                          matmul: Matmul(pool: TestModels.pool)).config
        XCTAssertEqual(gguf.ropeFreqFactors, long)
        XCTAssertEqual(gguf.ropeDimensionCount, 12)
        XCTAssertEqual(gguf.ropeAttentionFactor, c.ropeAttentionFactor, accuracy: 1e-6)
    }

    /// config.json rope_scaling read the way transformers computes it (rope-scaling.json, from
    /// scripts/golden/make_rope_golden.py): Llama 3's frequency-dependent scaling, and LongRoPE
    /// with partial rotary dimensions and its attention factor.
    func testRopeScalingMatchesTransformersFormulas() throws {
        let url = TestModels.fixtures.appendingPathComponent("rope-scaling.json")
        let root = try JSONParser.parse(Data(contentsOf: url))
        let cases = try XCTUnwrap(root["cases"]?.arrayValue)
        XCTAssertEqual(cases.count, 2)
        for c in cases {
            let name = c["name"]?.stringValue ?? "?"
            let config = try ModelRegistry.config(hfConfig: try XCTUnwrap(c["config"]))
            let expected = try XCTUnwrap(c["inv_freq"]?.arrayValue).compactMap(\.doubleValue)
            let got = Ops.ropeInverseFrequencies(ropeDim: config.ropeDimensionCount, base: config.ropeBase,
                                                 freqFactors: config.ropeFreqFactors)
            XCTAssertEqual(got.count, expected.count, name)
            for (g, e) in zip(got, expected) { XCTAssertEqual(Double(g), e, accuracy: e * 1e-6, name) }
            XCTAssertEqual(Double(config.ropeAttentionFactor), try XCTUnwrap(c["attention_factor"]?.doubleValue), accuracy: 1e-6, name)
        }
    }

    /// Gemma 3's entry carries the template the chat-template golden tests render.
    func testBuiltinGemmaTemplateIsTheTestedOne() throws {
        let fixture = try String(contentsOf: TestModels.fixtures.appendingPathComponent("chat-templates/gemma-3.jinja"), encoding: .utf8)
        XCTAssertEqual(ModelRegistry.architecture(named: "gemma3")?.chatTemplate.map { $0 + "\n" }, fixture)
        XCTAssertNil(ModelRegistry.architecture(named: "llama")?.chatTemplate)
    }

    /// Gemma 3 4B's config.json as published (Gemma3ForConditionalGeneration; the text_config
    /// names six keys and leaves the rest to Gemma3TextConfig's defaults), its transformers 5 form
    /// (rope_parameters per layer kind, layer_types), 1B's flat Gemma3ForCausalLM form, and what
    /// Tern's Gemma 3 does not run.
    func testGemma3Configs() throws {
        let textConfig: JSON = ["hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text", "num_hidden_layers": 34,
                                "rope_scaling": ["factor": 8.0, "rope_type": "linear"], "sliding_window": 1024]
        let fourB: JSON = ["architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3", "eos_token_id": [1, 106],
                           "text_config": textConfig, "vision_config": ["model_type": "siglip_vision_model", "hidden_size": 1152]]
        let c = try ModelRegistry.config(hfConfig: fourB)
        XCTAssertEqual(c.architecture, "gemma3")
        XCTAssertEqual([c.embeddingLength, c.feedForwardLength, c.blockCount, c.headCount, c.headCountKV, c.keyLength, c.vocabularySize],
                       [2560, 10240, 34, 8, 4, 256, 262_208])
        XCTAssertEqual(c.ropeBase, 1_000_000)
        XCTAssertEqual(c.ropeLinearScale, 8)
        XCTAssertEqual(c.slidingWindow, 1024)
        XCTAssertEqual(c.contextLength, 131_072)
        XCTAssertNil(c.ropeFreqFactors)
        let layerTypes: JSON = .array((0 ..< 34).map { .string(($0 + 1) % 6 == 0 ? "full_attention" : "sliding_attention") })
        var newer = setting(setting(textConfig, "rope_scaling", .null), "layer_types", layerTypes)
        newer = setting(newer, "rope_parameters", ["full_attention": ["rope_type": "linear", "factor": 8.0, "rope_theta": 1_000_000.0],
                                                   "sliding_attention": ["rope_type": "default", "rope_theta": 10_000.0]])
        XCTAssertEqual(try ModelRegistry.config(hfConfig: setting(fourB, "text_config", newer)), c)
        let oneB: JSON = ["architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "head_dim": 256, "hidden_size": 1152,
                          "intermediate_size": 6912, "num_attention_heads": 4, "num_hidden_layers": 26, "num_key_value_heads": 1,
                          "query_pre_attn_scalar": 256, "rope_local_base_freq": 10_000, "rope_scaling": .null, "rope_theta": 1_000_000,
                          "sliding_window": 512, "sliding_window_pattern": 6, "vocab_size": 262_144, "max_position_embeddings": 32768]
        let one = try ModelRegistry.config(hfConfig: oneB)
        XCTAssertEqual([one.headCount, one.headCountKV, one.keyLength, one.slidingWindow ?? 0, one.vocabularySize], [4, 1, 256, 512, 262_144])
        XCTAssertEqual(one.ropeLinearScale, 1)
        for (key, value) in [("query_pre_attn_scalar", 168), ("rope_local_base_freq", 20_000), ("sliding_window_pattern", 2),
                             ("final_logit_softcapping", 30.0), ("hidden_activation", "silu"), ("sliding_window", 0),
                             ("rope_scaling", ["rope_type": "yarn", "factor": 4.0]), ("layer_types", ["full_attention"])] as [(String, JSON)] {
            XCTAssertThrowsError(try ModelRegistry.config(hfConfig: setting(oneB, key, value)), key)
        }
    }
}
