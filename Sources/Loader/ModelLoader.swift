import ChatTemplate
import Engine
import Foundation
import Kernels
import ModelFormats
import Models
import Tokenizers

/// Turns a model reference (GGUF path, checkpoint folder, hub repo) into a `LoadedModel`:
/// format sniffing, the architecture's implementation, tokenizer, chat template, generation
/// defaults, and kernel preparation (packed weights, matmul crossovers). Every command and
/// the tests load through here.
public enum ModelLoader {
    public static func load(_ reference: String, options: LoadOptions = LoadOptions()) throws -> LoadedModel {
        try load(path: try ModelReference(reference).localPath(), options: options)
    }

    public static func load(path location: String, options: LoadOptions) throws -> LoadedModel {
        let matmul = Matmul(pool: options.pool ?? ComputePool(threadCount: options.threads ?? systemCoreCount()), path: options.matmulPath)
        let model: any LanguageModel, tokenizer: any Tokenizer, templateSource: String?, source: LoadedModel.Source
        var defaults = (sampling: SamplingParams(), endTokenIDs: Set<Int32>())
        var notes: [String] = []
        let digest: String
        if SafetensorsCheckpoint.isCheckpoint(location) {
            let checkpoint = try SafetensorsCheckpoint(folder: location)
            model = try ModelRegistry.load(checkpoint, matmul: matmul)
            digest = ModelDigest.of(checkpoint)
            if let wordPiece = try TokenizerFactory.wordPiece(huggingFaceFolder: location) {
                (tokenizer, templateSource, source) = (wordPiece, nil, .checkpoint(checkpoint))  // an encoder: no chat
            } else {
                let hf = try TokenizerFactory.load(huggingFaceFolder: location)
                (tokenizer, templateSource, source) = (hf.tokenizer, hf.chatTemplate, .checkpoint(checkpoint))
            }
            if let generation = checkpoint.generationConfig {
                defaults = GenerationDefaults.read(generation, vocabularySize: model.config.vocabularySize)
            }
        } else {
            let file = try GGUFFile(path: location)
            digest = ModelDigest.of(file)  // before packing releases the originals' pages
            // The model packs its weights as it loads; each original's pages leave memory then.
            matmul.releaseOriginal = { w in file.release(w.data, count: w.rows * w.rowBytes) }
            model = try ModelRegistry.load(file, matmul: matmul)
            (tokenizer, templateSource, source) = (try TokenizerFactory.load(from: file), try? file.string("tokenizer.chat_template"), .gguf(file))
            file.releaseHeader()  // the tokenizer and metadata are parsed: ~6 MB of pages for a 128k vocabulary
        }
        if case .checkpoint(let c) = source, c.generationConfig != nil { notes.append(GenerationDefaults.note(defaults.sampling)) }
        matmul.gemmMinRows = gemmMinRows(options)
        let template = chooseTemplate(templateSource, architecture: model.config.architecture, notes: &notes)
        let kvCacheDType = try kvCacheDType(options.kvCacheDType, source: source, config: model.config)
        notes.append("KV cache: \(kvCacheDType)\(options.kvCacheDType == nil ? " (auto)" : "")")
        Ops.releaseFreeHeap()  // loading freed MBs of parse buffers
        return LoadedModel(model: model, tokenizer: tokenizer, template: template, samplingDefaults: defaults.sampling,
                           endTokenIDs: defaults.endTokenIDs, source: source, matmul: matmul, kvCacheDType: kvCacheDType, modelDigest: digest,
                           notes: notes)
    }

    /// The KV cache dtype asked for, or for `auto` (nil): f16 when a GGUF file's matrices are
    /// quantized, else f32 (full-precision files keep full-precision attention).
    static func kvCacheDType(_ asked: KVCacheDType?, source: LoadedModel.Source, config: ModelConfig) throws -> KVCacheDType {
        let dtype: KVCacheDType
        if let asked {
            dtype = asked
        } else if hasQuantizedMatrices(source) {
            dtype = .f16
        } else {
            dtype = .f32
        }
        guard dtype.supports(headDim: config.keyLength) else { throw LoaderError.kvCacheDTypeUnsupported(dtype, headDim: config.keyLength) }
        return dtype
    }

    /// The model's own template, else the built-in one for its architecture, else none.
    static func chooseTemplate(_ source: String?, architecture: String, notes: inout [String]) -> ChatTemplate? {
        if let source {
            do { return try ChatTemplate(source) } catch { notes.append("the model's chat template cannot be used: \(error)") }
            return nil
        }
        guard let builtin = ModelRegistry.architecture(named: architecture)?.chatTemplate else { return nil }
        do {
            let template = try ChatTemplate(builtin)
            notes.append("the model has no chat template; using Tern's built-in \(architecture) template")
            return template
        } catch {
            notes.append("Tern's built-in \(architecture) template cannot be used: \(error)")
            return nil
        }
    }

    /// The GEMV/GEMM crossover: `--gemm-min-rows` when given. By default every matrix takes
    /// GEMV at every batch size: the GEMV kernels compute each row on its own in a fixed order,
    /// so a row's bits never depend on how many rows its batch or prompt chunk had, and an
    /// answer does not depend on prefix-cache hits, batching or preemption (README
    /// "Reproducibility"). GEMM is faster for long prompt chunks of Q4_0/Q4_1/Q5_0/Q8_0 on the
    /// AVX2 kernels, at the price of that guarantee (`tern crossover` measures it). Float
    /// weights need no exception since their register tiles (float_tiles.c) prefill faster
    /// than dequantize + sgemm (Llama-3.2-1B-shape F16, pp512: 152-162 against 92 tok/s).
    static func gemmMinRows(_ options: LoadOptions) -> Int {
        options.gemmMinRows ?? .max
    }

    /// Whether a GGUF file's matrices are quantized (checkpoints' never are).
    static func hasQuantizedMatrices(_ source: LoadedModel.Source) -> Bool {
        guard case .gguf(let file) = source else { return false }
        return file.tensors.values.contains { $0.shape.count == 2 && ![.f32, .f16, .bf16].contains($0.type) }
    }
}
