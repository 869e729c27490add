import Foundation
import Kernels
import ModelFormats
import Models
import TestSupport
import XCTest

/// Shared helpers: locating the real test models and fixtures, loading a model once.
enum TestModels {
    static var cacheDir: String {
        ProcessInfo.processInfo.environment["TERN_MODEL_CACHE"] ?? NSHomeDirectory() + "/.cache/tern/models"
    }
    static let smolLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf"
    static let gemma3 = "gemma-3-270m-q4_k_m.gguf"

    static func path(_ name: String) throws -> String { try requiredModel(name) }

    static let pool = ComputePool(threadCount: 2)

    static func load(_ name: String, path matmulPath: MatmulPath = .auto) throws -> (GGUFFile, any LanguageModel) {
        let file = try GGUFFile(path: path(name))
        return (file, try ModelRegistry.load(file, matmul: Matmul(pool: pool, path: matmulPath)))
    }

    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    static func json(_ relative: String) throws -> Any {
        let url = fixtures.appendingPathComponent(relative)
        try requireFile(url.path)
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    }
}

/// Runs one sequence through a model from position 0 with an identity block table.
struct SequenceRunner {
    let model: any LanguageModel
    let cache: PagedKVCache
    var table: [Int32]

    init(model: any LanguageModel, capacity: Int, blockSize: Int = 16, table: [Int32]? = nil) {
        self.model = model
        let blocks = (capacity + blockSize - 1) / blockSize
        cache = model.makeCache(numBlocks: table.map { Int($0.max() ?? 0) + 1 } ?? blocks, blockSize: blockSize)
        self.table = table ?? (0 ..< Int32(blocks)).map { $0 }
    }

    /// Logits (len(tokens) rows if `all`, else 1 row) after feeding `tokens` at `start`.
    func feed(_ tokens: [Int32], at start: Int, all: Bool = false) throws -> [[Float]] {
        var batch = ForwardBatch()
        batch.append(tokens: tokens, startPosition: start, blockTable: table, logitsFor: all ? Array(tokens.indices) : [tokens.count - 1])
        let out = try model.forward(batch, cache: cache)
        let v = model.config.vocabularySize
        return (0 ..< batch.logitRows.count).map { r in Array(UnsafeBufferPointer(start: out.pointer + r * v, count: v)) }
    }
}

func argmax(_ xs: [Float]) -> Int32 {
    var best = 0
    for i in xs.indices where xs[i] > xs[best] { best = i }
    return Int32(best)
}

func logSoftmax(_ xs: [Float], at i: Int) -> Double {
    let m = Double(xs.max() ?? 0)
    let z = xs.reduce(0.0) { $0 + exp(Double($1) - m) }
    return Double(xs[i]) - m - log(z)
}
