import ArgumentParser
import Foundation
import Kernels
import ModelFormats
import Models
import Tokenizers

/// Options shared by every command that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "A GGUF file, a Hugging Face checkpoint folder (config.json, safetensors, tokenizer.json), or a hub repo ORG/NAME[:QUANT] (pulled into the Hugging Face cache when missing; see `tern pull`).")
    var model: String

    @Option(name: [.customShort("t"), .long], help: "Compute threads (default: all cores).")
    var threads: Int?

    @Option(name: .long, help: "Matmul path: auto, gemv or gemm (for experiments).")
    var matmulPath: String = "auto"

    @Option(name: .long, help: "With --matmul-path auto, batches of at least this many rows use GEMM (default: measured at load).")
    var gemmMinRows: Int?

    /// The model, its tokenizer and chat template, from a GGUF file or a checkpoint folder
    /// (local or pulled).
    func load() throws -> LoadedModel {
        guard let path = MatmulPath(rawValue: matmulPath) else {
            throw ValidationError("--matmul-path must be one of auto, gemv, gemm")
        }
        let location = try ModelReference(model).localPath()
        let pool = ComputePool(threadCount: threads ?? systemCoreCount())
        let matmul = Matmul(pool: pool, path: path)
        let loaded: LoadedModel
        if SafetensorsCheckpoint.isCheckpoint(location) {
            let checkpoint = try SafetensorsCheckpoint(folder: location)
            let hf = try TokenizerFactory.load(huggingFaceFolder: location)
            loaded = LoadedModel(model: try ModelRegistry.load(checkpoint, matmul: matmul), tokenizer: hf.tokenizer,
                                 chatTemplate: hf.chatTemplate, source: .checkpoint(checkpoint), pool: pool)
        } else {
            let file = try GGUFFile(path: location)
            loaded = LoadedModel(model: try ModelRegistry.load(file, matmul: matmul), tokenizer: try TokenizerFactory.load(from: file),
                                 chatTemplate: try? file.string("tokenizer.chat_template"), source: .gguf(file), pool: pool)
        }
        if let gemmMinRows {
            matmul.gemmMinRows = gemmMinRows
        } else if path == .auto, case .gguf(let file) = loaded.source {
            // The first blocks' weights stand for all of them, each weight type on its own.
            let weights = file.matrices(prefix: "blk.0.") + file.matrices(prefix: "blk.1.")
            matmul.gemmMinRowsByType = Matmul.calibratePerType(pool: pool, weights: weights)
            let found = matmul.gemmMinRowsByType.sorted { $0.key < $1.key }.map { type, rows in
                "\(GGMLType(rawValue: UInt32(type))?.name ?? "type \(type)") \(rows == .max ? "never" : "from \(rows) rows")"
            }
            FileHandle.standardError.write(Data("matmul: GEMM \(found.joined(separator: ", ")) (measured; BLAS kernels \(BLAS.coreName))\n".utf8))
        }
        return loaded
    }
}

/// What a command gets from `--model`.
struct LoadedModel {
    enum Source {
        case gguf(GGUFFile)
        case checkpoint(SafetensorsCheckpoint)
    }

    let model: any LanguageModel
    let tokenizer: any Tokenizer
    /// The Jinja chat template the model ships, if any.
    let chatTemplate: String?
    /// The file(s) behind it, for what only they can say (bench labels, every weight matrix).
    let source: Source
    /// The compute threads the model runs on (the engine samples on them too).
    let pool: ComputePool
}

func systemCoreCount() -> Int {
    #if canImport(Glibc)
    return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
    return 2
    #endif
}

#if canImport(Glibc)
import Glibc
#endif
