import ArgumentParser
import Foundation
import Hub
import Kernels
import Loader
import Engine

/// Options shared by every command that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(help: "A GGUF file, a Hugging Face checkpoint folder (config.json, safetensors, tokenizer.json), or a hub repo ORG/NAME[:QUANT] (pulled into the Hugging Face cache when missing; see `tern pull`).")
    var model: String

    @Option(name: [.customShort("t"), .long], help: "Compute threads (default: all cores).") var threads: Int?
    @Option(help: "Matmul path: auto, gemv or gemm (for experiments).") var matmulPath: String = "auto"
    @Option(help: "With --matmul-path auto, sequences of at least this many rows use GEMM (default: never; GEMM can speed up prompts of some types on AVX2, but answers then depend on batching and prefix-cache hits).")
    var gemmMinRows: Int?
    @Option(name: .customLong("kv-cache-dtype"), help: "KV cache element type: auto, f32, f16 or q8_0 (auto: f16 for quantized GGUF files, else f32).")
    var kvCacheDType: String = "auto"

    /// The model through the loader; its notes go to standard error, a hub error is one line.
    func load() throws -> LoadedModel {
        guard let path = MatmulPath(rawValue: matmulPath) else {
            throw ValidationError("--matmul-path must be one of auto, gemv, gemm")
        }
        do {
            let dtype = try LoadOptions.kvCacheDType(parsing: kvCacheDType)
            let options = LoadOptions(threads: threads, matmulPath: path, gemmMinRows: gemmMinRows, kvCacheDType: dtype)
            let loaded = try ModelLoader.load(model, options: options)
            for note in loaded.notes { FileHandle.standardError.write(Data("\(note)\n".utf8)) }
            return loaded
        } catch let error as LoaderError {
            throw ValidationError(error.description)
        } catch let error as HubError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// The draft model `spec` names, on `target`'s compute pool, with its KV dtype; refused
    /// unless it can guess for `target` (one tokenizer, no sliding windows).
    func loadDraft(_ spec: SpeculativeConfig, for target: LoadedModel) throws -> LoadedModel? {
        guard spec.method == .draft, let reference = spec.model else { return nil }
        do {
            let draft = try ModelLoader.load(reference, options: LoadOptions(matmulPath: target.matmul.path, kvCacheDType: target.kvCacheDType,
                                                                             pool: target.pool))
            try SpeculativeConfig.check(draft: draft.model, for: target.model)
            let (mine, theirs) = (draft.tokenizer.vocabulary.tokens, target.tokenizer.vocabulary.tokens)
            if let i = mine.indices.first(where: { $0 < theirs.count && mine[$0] != theirs[$0] }) {
                throw ValidationError("the draft model's tokenizer differs from the target's (token \(i): \(mine[i].debugDescription) vs \(theirs[i].debugDescription))")
            }
            return draft
        } catch let error as LoaderError {
            throw ValidationError("draft model: \(error.description)")
        } catch let error as SpeculativeConfig.Invalid {
            throw ValidationError(error.description)
        }
    }

    /// Bad option values fail at parse time, before a server starts listening.
    func validate() throws {
        do { _ = try LoadOptions.kvCacheDType(parsing: kvCacheDType) } catch let error as LoaderError { throw ValidationError(error.description) }
    }
}
