import ArgumentParser
import Foundation
import Kernels
import ModelFormats
import Loader
import Models

/// `tern crossover`: times every weight matrix of a model's blocks through both matmul paths
/// for a range of batch rows, to place the GEMV/GEMM crossover (`--gemm-min-rows`).
struct Crossover: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure the GEMV/GEMM crossover on a model's weights.")

    @OptionGroup var options: ModelOptions

    @Option(help: "Batch rows to test (comma-separated).") var rows: String = "1,2,4,6,8,12,16,24,32,64"
    @Option(name: [.customShort("r"), .long], help: "Repetitions (the fastest is kept).") var repetitions: Int = 3
    @Option(help: "Only weights of these types (comma-separated, e.g. Q5_0,Q8_0).") var types: String?

    mutating func run() throws {
        let loaded = try options.load()
        guard case .gguf(let file) = loaded.source else { throw ValidationError("crossover measures a GGUF model's weights") }
        let only = types.map { Set($0.split(separator: ",").map { $0.uppercased() }) }
        let weights = file.matrices(prefix: "blk.").filter { w in
            only.map { $0.contains(GGMLType(rawValue: UInt32(w.type))?.name.uppercased() ?? "") } ?? true
        }
        let ms = positiveInts(rows)
        let maxCols = weights.map(\.cols).max() ?? 1, maxRows = weights.map(\.rows).max() ?? 1
        let x = FloatBuffer(count: (ms.max() ?? 1) * maxCols)   // (m, cols)
        let y = FloatBuffer(count: (ms.max() ?? 1) * maxRows)   // (m, rows)
        for i in 0 ..< x.count { x[i] = Float((i * 7919) % 1000) / 1000 - 0.5 }
        print("| rows | GEMV ms | GEMM ms | faster |")
        print("| ---: | ---: | ---: | --- |")
        let mm = Matmul(pool: loaded.pool)
        mm.prepare(weights)
        for m in ms {
            let times = [MatmulPath.gemv, .gemm].map { path in
                mm.path = path
                var best = Double.infinity
                for _ in 0 ... repetitions {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    for w in weights { mm.apply(w, x: x.pointer, m: m, y: y.pointer) }
                    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                }
                return best
            }
            print(String(format: "| %d | %.2f | %.2f | %@ |", m, times[0], times[1], times[0] <= times[1] ? "GEMV" : "GEMM"))
        }
    }
}
