import JSON
import Kernels
import ModelFormats

/// The architectures Tern runs, one entry each; the architecture a model file names (GGUF
/// `general.architecture`, or a checkpoint config.json's `architectures[0]` / `model_type`)
/// selects its entry. Adding an architecture is adding an entry here.
public enum ModelRegistry {
    public static let architectures: [Architecture] = [
        // Mistral 7B too: its GGUF files name `llama`, its checkpoints are Llama's (with a sliding window).
        Architecture(name: "llama", hfNames: ["LlamaForCausalLM", "llama", "MistralForCausalLM", "mistral"],
                     ggufConfig: { try ModelConfig.fromGGUF($0, ropeNeox: false) },
                     hfConfig: HFModelConfig.llamaOrMistral, hfTensorNames: HFTensorNames.llama, make: LlamaModel.init),
        Architecture(name: "qwen2", hfNames: ["Qwen2ForCausalLM", "qwen2"],
                     ggufConfig: { try ModelConfig.fromGGUF($0, ropeNeox: true) },
                     hfConfig: { try HFModelConfig.llama($0, architecture: "qwen2") },
                     hfTensorNames: HFTensorNames.llama, make: LlamaModel.init),
        Architecture(name: "qwen3", hfNames: ["Qwen3ForCausalLM", "qwen3"],
                     ggufConfig: { try ModelConfig.fromGGUF($0, ropeNeox: true) },
                     hfConfig: { try HFModelConfig.llama($0, architecture: "qwen3") },
                     hfTensorNames: HFTensorNames.llama, make: LlamaModel.init),
        // SmolLM3: Llama without RoPE in every fourth layer.
        Architecture(name: "smollm3", hfNames: ["SmolLM3ForCausalLM", "smollm3"], ggufConfig: HFModelConfig.smollm3GGUF,
                     hfConfig: HFModelConfig.smollm3, hfTensorNames: HFTensorNames.llama, make: LlamaModel.init),
        Architecture(name: "phi3", hfNames: ["Phi3ForCausalLM", "phi3"], ggufConfig: RopeScaling.phi3,
                     hfConfig: { try HFModelConfig.llama($0, architecture: "phi3") },
                     hfTensorNames: HFTensorNames.phi3, make: LlamaModel.init),
        Architecture(name: "gpt2", hfNames: ["GPT2LMHeadModel", "gpt2"],
                     ggufConfig: { try ModelConfig.fromGGUF($0, ropeNeox: false) },
                     hfConfig: HFModelConfig.gpt2, hfTensorNames: HFTensorNames.gpt2, make: GPT2Model.init),
        // Encoders: they embed, they do not generate.
        Architecture(name: "bert", hfNames: ["BertModel", "bert"], ggufConfig: { try ModelConfig.fromGGUF($0, ropeNeox: false) },
                     hfConfig: HFModelConfig.bert, hfTensorNames: HFTensorNames.bert, make: BertModel.init),
        Architecture(name: "nomic-bert", hfNames: ["NomicBertModel", "nomic_bert"], ggufConfig: { try ModelConfig.fromGGUF($0, ropeNeox: true) },
                     hfConfig: HFModelConfig.nomicBert, hfTensorNames: HFTensorNames.nomicBert, make: BertModel.init),
        // Gemma 3: 270M/1B checkpoints are Gemma3ForCausalLM, 4B and up Gemma3ForConditionalGeneration (text part only).
        Architecture(name: "gemma3", hfNames: ["Gemma3ForCausalLM", "gemma3_text", "Gemma3ForConditionalGeneration", "gemma3"],
                     chatTemplate: Gemma3Model.chatTemplate, ggufConfig: Gemma3Model.config, hfConfig: HFModelConfig.gemma3,
                     hfTensorNames: HFTensorNames.gemma3, make: Gemma3Model.init),
    ]

    /// The names of the GGUF architectures, sorted.
    public static var supported: [String] { architectures.map(\.name).sorted() }

    /// The entry for a GGUF `general.architecture`.
    public static func architecture(named name: String) -> Architecture? {
        architectures.first { $0.name == name }
    }

    /// The entry a config.json names; an unknown one is an error listing the supported ones.
    public static func architecture(hfConfig json: JSON) throws -> Architecture {
        let declared = json["architectures"]?.arrayValue?.first?.stringValue
        let modelType = json["model_type"]?.stringValue
        for name in [declared, modelType].compactMap({ $0 }) {
            if let entry = architectures.first(where: { $0.hfConfig != nil && $0.hfNames.contains(name) }) { return entry }
        }
        let classes = architectures.filter { $0.hfConfig != nil }.flatMap(\.hfNames).filter { $0.first?.isUppercase == true }
        throw ModelError.unsupportedArchitecture(declared ?? modelType ?? "(config.json names no architecture)", supported: classes.sorted())
    }

    /// Hyperparameters from a parsed config.json.
    public static func config(hfConfig json: JSON) throws -> ModelConfig {
        guard let read = try architecture(hfConfig: json).hfConfig else { throw ModelError.badHyperparameter("config.json") }
        return try read(json)
    }

    public static func load(_ file: GGUFFile, matmul: Matmul) throws -> any LanguageModel {
        let name: String
        do { name = try file.string("general.architecture") } catch let e as ModelFormatError { throw ModelError.format(e) }
        guard let entry = architecture(named: name) else { throw ModelError.unsupportedArchitecture(name, supported: supported) }
        return try entry.make(entry.ggufConfig(file), file, matmul)
    }

    /// A Hugging Face safetensors checkpoint.
    public static func load(_ checkpoint: SafetensorsCheckpoint, matmul: Matmul) throws -> any LanguageModel {
        let entry = try architecture(hfConfig: checkpoint.config)
        guard let read = entry.hfConfig, let names = entry.hfTensorNames else {
            throw ModelError.unsupportedArchitecture(entry.name, supported: supported)
        }
        return try entry.make(read(checkpoint.config), SafetensorsWeights(checkpoint: checkpoint, names: names), matmul)
    }
}
