import ArgumentParser
import Kernels
import ModelFormats
import Models

/// Options shared by every command that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Path to a GGUF model file.")
    var model: String

    @Option(name: [.customShort("t"), .long], help: "Compute threads (default: all cores).")
    var threads: Int?

    @Option(name: .long, help: "Matmul path: auto, gemv or gemm (for experiments).")
    var matmulPath: String = "auto"

    @Option(name: .long, help: "With --matmul-path auto, batches of at least this many rows use GEMM.")
    var gemmMinRows: Int = 32

    func load() throws -> (GGUFFile, any LanguageModel) {
        guard let path = MatmulPath(rawValue: matmulPath) else {
            throw ValidationError("--matmul-path must be one of auto, gemv, gemm")
        }
        let file = try GGUFFile(path: model)
        let pool = ComputePool(threadCount: threads ?? systemCoreCount())
        let matmul = Matmul(pool: pool, path: path, gemmMinRows: gemmMinRows)
        return (file, try ModelRegistry.load(file, matmul: matmul))
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
