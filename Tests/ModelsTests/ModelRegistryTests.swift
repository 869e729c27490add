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
        return path
    }

    func testUnknownGGUFArchitectureIsNamedWithTheSupportedOnes() throws {
        let file = try GGUFFile(path: ggufNaming("mamba"))
        XCTAssertThrowsError(try ModelRegistry.load(file, matmul: Matmul(pool: TestModels.pool))) { error in
            XCTAssertEqual(error as? ModelError, .unsupportedArchitecture("mamba", supported: ["gemma3", "gpt2", "llama", "qwen2"]))
            XCTAssertEqual("\(error)", "unsupported architecture 'mamba'; supported: gemma3, gpt2, llama, qwen2")
        }
    }

    func testHuggingFaceConfigsNameTheirFamily() throws {
        func family(_ json: JSON) throws -> String { try ModelRegistry.architecture(hfConfig: json).name }
        XCTAssertEqual(try family(["architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2"]), "qwen2")
        XCTAssertEqual(try family(["model_type": "gpt2"]), "gpt2")
        XCTAssertEqual(try family(["architectures": ["LlamaForCausalLM"]]), "llama")
        XCTAssertThrowsError(try family(["architectures": ["MambaForCausalLM"], "model_type": "mamba"])) { error in
            XCTAssertEqual("\(error)", "unsupported architecture 'MambaForCausalLM'; supported: GPT2LMHeadModel, LlamaForCausalLM, Qwen2ForCausalLM")
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

    /// Gemma 3's entry carries the template the chat-template golden tests render.
    func testBuiltinGemmaTemplateIsTheTestedOne() throws {
        let fixture = try String(contentsOf: TestModels.fixtures.appendingPathComponent("chat-templates/gemma-3.jinja"), encoding: .utf8)
        XCTAssertEqual(ModelRegistry.architecture(named: "gemma3")?.chatTemplate.map { $0 + "\n" }, fixture)
        XCTAssertNil(ModelRegistry.architecture(named: "llama")?.chatTemplate)
    }
}
