import Kernels
import ModelFormats

/// The architecture named in a model file selects its implementation.
public enum ModelRegistry {
    public static let supported = ["gemma3", "llama"]

    public static func load(_ file: GGUFFile, matmul: Matmul) throws -> any LanguageModel {
        let arch: String
        do { arch = try file.string("general.architecture") } catch let e as ModelFormatError { throw ModelError.format(e) }
        switch arch {
        case "llama": return try LlamaModel(file: file, matmul: matmul)
        case "gemma3": return try Gemma3Model(file: file, matmul: matmul)
        default: throw ModelError.unsupportedArchitecture(arch, supported: supported)
        }
    }
}
