import ArgumentParser
import Foundation
import Kernels
import ModelFormats
import Models

/// Options shared by every command that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "A GGUF file, or a hub repo ORG/NAME[:QUANT] (pulled into the Hugging Face cache when missing; see `tern pull`).")
    var model: String

    @Option(name: [.customShort("t"), .long], help: "Compute threads (default: all cores).")
    var threads: Int?

    @Option(name: .long, help: "Matmul path: auto, gemv or gemm (for experiments).")
    var matmulPath: String = "auto"

    @Option(name: .long, help: "With --matmul-path auto, batches of at least this many rows use GEMM (default: measured at load).")
    var gemmMinRows: Int?

    func load() throws -> (GGUFFile, any LanguageModel) {
        guard let path = MatmulPath(rawValue: matmulPath) else {
            throw ValidationError("--matmul-path must be one of auto, gemv, gemm")
        }
        let file = try GGUFFile(path: ModelReference(model).localPath())
        let pool = ComputePool(threadCount: threads ?? systemCoreCount())
        let matmul = Matmul(pool: pool, path: path)
        let lm = try ModelRegistry.load(file, matmul: matmul)
        if let gemmMinRows {
            matmul.gemmMinRows = gemmMinRows
        } else if path == .auto {
            // The first block's weights stand for all of them.
            let block = file.tensorNames.compactMap { name -> WeightMatrix? in
                guard name.hasPrefix("blk.0."), let t = file.tensors[name], t.shape.count == 2 else { return nil }
                return WeightMatrix(type: Int32(t.type.rawValue), rows: t.rowCount, cols: t.rowLength, rowBytes: t.rowBytes, data: t.data)
            }
            matmul.gemmMinRows = Matmul.calibrate(pool: pool, weights: block)
            FileHandle.standardError.write(Data("matmul: GEMM from \(matmul.gemmMinRows) rows (measured; BLAS kernels \(BLAS.coreName))\n".utf8))
        }
        return (file, lm)
    }
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
