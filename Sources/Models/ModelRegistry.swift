import Kernels
import ModelFormats

/// The architecture named in a model file (GGUF `general.architecture`, or a checkpoint's
/// config.json) selects its implementation.
public enum ModelRegistry {
    public static let supported = ["gemma3", "gpt2", "llama", "qwen2"]

    public static func load(_ file: GGUFFile, matmul: Matmul) throws -> any LanguageModel {
        let arch: String
        do { arch = try file.string("general.architecture") } catch let e as ModelFormatError { throw ModelError.format(e) }
        switch arch {
        case "llama", "qwen2": return try LlamaModel(file: file, matmul: matmul)
        case "gpt2": return try GPT2Model(file: file, matmul: matmul)
        case "gemma3": return try Gemma3Model(file: file, matmul: matmul)
        default: throw ModelError.unsupportedArchitecture(arch, supported: supported)
        }
    }

    /// A Hugging Face safetensors checkpoint (Llama, Qwen2, GPT-2).
    public static func load(_ checkpoint: SafetensorsCheckpoint, matmul: Matmul) throws -> any LanguageModel {
        let config = try HFModelConfig.config(checkpoint.config)
        let weights = SafetensorsWeights(checkpoint: checkpoint, family: config.architecture)
        switch config.architecture {
        case "gpt2": return try GPT2Model(config: config, weights: weights, matmul: matmul)
        default: return try LlamaModel(config: config, weights: weights, matmul: matmul)
        }
    }
}
