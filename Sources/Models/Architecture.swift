import JSON
import Kernels
import ModelFormats

/// Everything Tern knows about one architecture, as one `ModelRegistry` entry: the names
/// files give it, how its hyperparameters and tensors are read from a GGUF file or a Hugging
/// Face checkpoint, its default chat template, and its implementation.
public struct Architecture: Sendable {
    /// GGUF `general.architecture` (and `ModelConfig.architecture`), e.g. "llama".
    public let name: String
    /// config.json `architectures[0]` / `model_type` values that name it (none: GGUF only).
    public let hfNames: [String]
    /// The chat template (Jinja source) for files that carry none.
    public let chatTemplate: String?
    /// Hyperparameters from a GGUF file's `<name>.*` metadata.
    let ggufConfig: @Sendable (GGUFFile) throws -> ModelConfig
    /// Hyperparameters from a parsed config.json (nil: not loadable from safetensors).
    let hfConfig: (@Sendable (JSON) throws -> ModelConfig)?
    /// Where a GGUF-named tensor lives in a Hugging Face checkpoint.
    let hfTensorNames: (@Sendable (String) -> HFTensorNames.Location?)?
    /// The implementation, over weights under GGUF tensor names.
    let make: @Sendable (ModelConfig, any WeightSource, Matmul) throws -> any LanguageModel

    init(name: String, hfNames: [String] = [], chatTemplate: String? = nil,
         ggufConfig: @escaping @Sendable (GGUFFile) throws -> ModelConfig,
         hfConfig: (@Sendable (JSON) throws -> ModelConfig)? = nil,
         hfTensorNames: (@Sendable (String) -> HFTensorNames.Location?)? = nil,
         make: @escaping @Sendable (ModelConfig, any WeightSource, Matmul) throws -> any LanguageModel) {
        self.name = name
        self.hfNames = hfNames
        self.chatTemplate = chatTemplate
        self.ggufConfig = ggufConfig
        self.hfConfig = hfConfig
        self.hfTensorNames = hfTensorNames
        self.make = make
    }
}
