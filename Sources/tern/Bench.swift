import ArgumentParser
import Foundation
import Kernels
import ModelFormats
import Loader
import Models
import Engine

/// `tern bench`: prompt processing and generation speed in llama-bench's shape.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure prompt processing (ppN) and generation (tgN) speed.")

    @OptionGroup var options: ModelOptions

    @Option(name: [.customShort("p"), .long], help: "Prompt lengths to test (comma-separated).") var promptTokens: String = "512"
    @Option(name: [.customShort("n"), .long], help: "Generation lengths to test (comma-separated).") var genTokens: String = "128"
    @Option(name: [.customShort("r"), .long], help: "Repetitions of each test.") var repetitions: Int = 3
    @Option(name: [.customShort("d"), .long], help: "Context depths (comma-separated): each test runs after this many tokens are in the KV cache.")
    var depth: String = "0"
    @Option(help: "Serving benchmark through the engine: concurrency levels (comma-separated), e.g. 1,4,16,32.") var concurrency: String?
    @Option(help: "With --concurrency: a JSON prompt set (e.g. Tests/Fixtures/speculative/prompts.json: [{\"task\", \"messages\"}]) rendered with the chat template, each once, greedy, to EOS or -n tokens; one table row per task.")
    var prompts: String?
    @Option(help: "With --concurrency: speculative decoding as in `tern serve` (JSON with vLLM's keys).") var speculativeConfig: String?

    mutating func run() throws {
        let loaded = try options.load()
        if let concurrency {
            var spec: SpeculativeConfig?
            do { spec = try speculativeConfig.map { try SpeculativeConfig(json: $0) } } catch { throw ValidationError("\(error)") }
            let draft = try spec.flatMap { $0.method == .draft ? try options.loadDraft($0, for: loaded) : nil }
            print("| task | clients | requests | wall s | aggregate tok/s | stream decode tok/s | TTFT p50 | TTFT p95 | ITL p50 | preemptions | accepted guesses |")
            print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            var bench = EngineBench(loaded: loaded, promptTokens: Int(promptTokens) ?? 100, genTokens: Int(genTokens) ?? 128)
            (bench.speculative, bench.draft) = (spec, draft)
            let sets: [(task: String, prompts: [[Int32]]?)] = try prompts.map { try PromptSet.load($0, loaded).map { ($0.task, $0.prompts) } } ?? [("random", nil)]
            for (task, set) in sets {
                bench.prompts = set
                for c in positiveInts(concurrency) { print("| \(task) " + (try bench.run(concurrency: c))) }
            }
        } else {
            try kernels(loaded)
        }
        print(String(format: "peak RSS: %.1f MiB", Double(peakRSSBytes()) / 1048576))
    }

    /// llama-bench's ppN (one forward over N prompt tokens) and tgN (N single-token forwards),
    /// each after `depth` tokens already in the cache ("@ dD" as llama-bench labels them), then
    /// decode's bytes per token and its share of the read bandwidth, measured by a `tern
    /// bandwidth` child just before and just after each tg test (the faster of the two).
    private func kernels(_ loaded: LoadedModel) throws {
        let model = loaded.model
        let pps = positiveInts(promptTokens), tgs = positiveInts(genTokens)
        let depths = depth.split(separator: ",").compactMap { Int($0) }.filter { $0 >= 0 }
        let maxLen = (pps + tgs).max() ?? 1, maxDepth = depths.max() ?? 0
        // The engine's layout (one table per group of layers), each table its own run of blocks.
        let layout = model.kvLayout, perTable = (maxDepth + maxLen + 15) / 16
        let cache = model.makeCache(numBlocks: perTable * layout.numTables, blockSize: 16, dtype: loaded.kvCacheDType, layout: layout)
        let tables = (0 ..< layout.numTables).map { t in (0 ..< perTable).map { Int32(t * perTable + $0) } }
        let tokens = (0 ..< maxDepth + maxLen).map { _ in Int32.random(in: 0 ..< Int32(model.config.vocabularySize)) }
        let (name, sizeMiB, params) = label(loaded)
        print("| model | size | params | backend | threads | kv | test | t/s |")
        print("| --- | ---: | ---: | --- | ---: | --- | ---: | ---: |")
        var decodeRates: [(test: String, positions: Int, rate: Double, bandwidth: [Double])] = []  // bandwidth: bytes/s
        @discardableResult
        func row(_ test: String, tokens n: Int, _ body: () throws -> Void) throws -> Double {
            try body()  // warm-up
            let rates = try (0 ..< repetitions).map { _ in
                let t0 = DispatchTime.now().uptimeNanoseconds
                try body()
                return Double(n) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            let mean = rates.reduce(0, +) / Double(max(1, rates.count))
            let sd = rates.count > 1 ? (rates.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rates.count - 1)).squareRoot() : 0
            print(String(format: "| %@ | %.2f MiB | %.2f M | %@ | %d | %@ | %@ | %.2f ± %.2f |", name, sizeMiB, params,
                         Ops.usingAVX512 ? "BLAS+AVX512" : Ops.usingAVX2 ? "BLAS+AVX2" : "BLAS", loaded.pool.threadCount,
                         cache.dtype.rawValue, test, mean, sd))
            return mean
        }
        for d in depths {
            let at = d > 0 ? " @ d\(d)" : ""
            // The context: the first d tokens, in chunks of 512 as llama-bench's micro-batches (untimed).
            for c in stride(from: 0, to: d, by: 512) {
                var batch = ForwardBatch()
                let end = min(d, c + 512)
                batch.append(tokens: Array(tokens[c ..< end]), startPosition: c, blockTables: tables, logitsFor: [end - c - 1])
                _ = try model.forward(batch, cache: cache)
            }
            for n in pps {
                var batch = ForwardBatch()
                batch.append(tokens: Array(tokens[d ..< d + n]), startPosition: d, blockTables: tables, logitsFor: [n - 1])
                try row("pp\(n)\(at)", tokens: n) { _ = try model.forward(batch, cache: cache) }
            }
            for n in tgs {
                let before = Bandwidth.measureInChild(threads: loaded.pool.threadCount)
                let rate = try row("tg\(n)\(at)", tokens: n) { try generate(model, cache: cache, tables: tables, from: d, count: n, first: tokens[d]) }
                let after = Bandwidth.measureInChild(threads: loaded.pool.threadCount)
                decodeRates.append(("tg\(n)\(at)", d + n / 2, rate, [before, after].compactMap { $0 }))
            }
        }
        let weights = Double(decodeWeightBytes(loaded)), kvPerPosition = Double(cache.totalBytes / (perTable * cache.blockSize))
        for (test, positions, rate, probes) in decodeRates {
            let bytes = weights + kvPerPosition * Double(positions)  // weights, and the KV of the average position
            guard let bandwidth = probes.max() else { print("\(test): the bandwidth probe failed"); continue }
            print(String(format: "%@: %.1f MB per token, %.1f GB/s = %.0f%% of the read bandwidth (%@ GB/s before and after, %d threads)",
                         test, bytes / 1e6, bytes * rate / 1e9, 100 * bytes * rate / bandwidth,
                         probes.map { String(format: "%.1f", $0 / 1e9) }.joined(separator: ", "), loaded.pool.threadCount))
        }
    }

    /// `count` single-token forwards from position `from`, each token derived from the last logits.
    private func generate(_ model: any LanguageModel, cache: PagedKVCache, tables: [[Int32]], from: Int, count: Int, first: Int32) throws {
        var token = first
        for pos in from ..< from + count {
            var batch = ForwardBatch()
            batch.append(tokens: [token], startPosition: pos, blockTables: tables, logitsFor: [0])
            let logits = try model.forward(batch, cache: cache)
            token = Int32(pos % 2 == 0 ? 0 : 1) &+ Int32(truncatingIfNeeded: Int(logits[0].bitPattern % 1000))
        }
    }

    /// Bytes of weights one decode step reads: every tensor but an embedding table that has a
    /// separate output head (only one row of it is read).
    private func decodeWeightBytes(_ loaded: LoadedModel) -> Int {
        switch loaded.source {
        case .gguf(let file):
            let untied = file.tensors["output.weight"] != nil
            return file.tensors.values.filter { !(untied && $0.name == "token_embd.weight") }.reduce(0) { $0 + $1.byteCount }
        case .checkpoint(let checkpoint):
            let tensors = checkpoint.files.flatMap(\.tensors)
            let untied = tensors.contains { $0.key == "lm_head.weight" }
            return tensors.filter { !(untied && $0.key.hasSuffix("embed_tokens.weight")) }.reduce(0) { $0 + $1.value.byteCount }
        }
    }

    /// The model as llama-bench names it: architecture, size and type labels, MiB, millions of parameters.
    private func label(_ loaded: LoadedModel) -> (name: String, sizeMiB: Double, params: Double) {
        let arch = loaded.model.config.architecture
        let name: String, sizes: [(bytes: Int, elements: Int)]
        switch loaded.source {
        case .gguf(let file):
            name = "\(arch) \(file.metadata["general.size_label"]?.string ?? "?") \(typeLabel(file))"
            sizes = file.tensors.values.map { ($0.byteCount, $0.elementCount) }
        case .checkpoint(let checkpoint):
            let tensors = checkpoint.files.flatMap(\.tensors.values)
            name = "\(arch) safetensors \(Set(tensors.map(\.dtype)).sorted().joined(separator: "/"))"
            sizes = tensors.map { ($0.byteCount, $0.elementCount) }
        }
        return (name, Double(sizes.reduce(0) { $0 + $1.bytes }) / 1048576, Double(sizes.reduce(0) { $0 + $1.elements }) / 1e6)
    }
}

/// The file's quantization mix as llama.cpp names it (`general.file_type`), else the type
/// holding the most bytes.
func typeLabel(_ f: GGUFFile) -> String {
    let names = [0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K - Medium",
                 11: "Q3_K - Small", 12: "Q3_K - Medium", 13: "Q3_K - Large", 14: "Q4_K - Small", 15: "Q4_K - Medium",
                 16: "Q5_K - Small", 17: "Q5_K - Medium", 18: "Q6_K", 32: "BF16"]
    if let t = try? f.int("general.file_type"), let name = names[t] { return name }
    var counts: [String: Int] = [:]
    for t in f.tensors.values where t.shape.count == 2 { counts[t.type.name, default: 0] += t.byteCount }
    return counts.max { $0.value < $1.value }?.key ?? "?"
}

/// The positive integers of a comma-separated list (others are skipped).
func positiveInts(_ list: String) -> [Int] { list.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 } }

/// Peak resident set size of this process so far.
func peakRSSBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss) * 1024
}
