import Engine
import Foundation
import Kernels
import Loader
import Models
import TestSupport
import XCTest

/// Gemma 3 270M (window 512 on 15 of its 18 layers) through the scheduler and runner, whose
/// sliding-window tables give back the blocks their window has left: a prompt well past the
/// window decodes the tokens a plain cache (every block kept) gives — alone, from a prefix-cache
/// hit beyond the window, in small chunks under preemption, and as one of n = 2 — while holding
/// fewer blocks, and every block is back in the pool at the end.
final class SlidingWindowTests: XCTestCase {
    static let maxTokens = 8

    static func load() throws -> LoadedModel {
        try ModelLoader.load(path: try requiredModel("gemma-3-270m-q4_k_m.gguf"), options: LoadOptions(threads: 2))
    }

    /// About 700 tokens of text.
    static func prompt(_ l: LoadedModel) -> [Int32] {
        let text = (1 ... 16).map { "Part \($0). " + ReproducibilityTests.text }.joined(separator: " ")
        return l.tokenizer.encode(text, addSpecial: true, parseSpecial: false)
    }

    /// Greedy tokens from the model over a plain cache (one table, every block kept).
    static func plainGreedy(_ l: LoadedModel, _ prompt: [Int32]) throws -> [Int32] {
        let model = l.model, vocab = model.config.vocabularySize
        let blocks = (prompt.count + maxTokens + 15) / 16
        let cache = model.makeCache(numBlocks: blocks, blockSize: 16, dtype: l.kvCacheDType)
        let table = (0 ..< Int32(blocks)).map { $0 }
        var tokens = prompt, out: [Int32] = []
        var start = 0
        while out.count < maxTokens {
            var batch = ForwardBatch()
            batch.append(tokens: Array(tokens[start...]), startPosition: start, blockTable: table, logitsFor: [tokens.count - start - 1])
            let logits = try model.forward(batch, cache: cache)
            let t = Sampler.argmax(logits.pointer, vocab: vocab)
            out.append(t)
            start = tokens.count
            tokens.append(t)
        }
        return out
    }

    func request(_ id: String, _ prompt: [Int32], n: Int = 1) -> EngineRequest {
        var r = EngineRequest(requestID: id, promptTokenIDs: prompt, sampling: .greedy, maxTokens: Self.maxTokens, ignoreEOS: true)
        r.n = n
        return r
    }

    func testWindowedCacheDecodesAsThePlainOneWithFewerBlocks() throws {
        let l = try Self.load()
        let layout = l.model.kvLayout
        XCTAssertEqual(layout.groups, [KVLayout.Group(window: nil, tables: 1), KVLayout.Group(window: 512, tables: 5)])
        XCTAssertEqual(layout.pageLayers, 3)
        let p = Self.prompt(l)
        XCTAssertGreaterThan(p.count, 600)
        let reference = try Self.plainGreedy(l, p)
        let positions = p.count + Self.maxTokens, blocks = (positions + 15) / 16

        // Alone: the window tables end holding only the blocks of the last 512 positions (plus the
        // block being filled); a plain cache would hold `blocks` in every table.
        let rig = ReproducibilityTests.Rig(l, numBlocks: 64, budget: 2048, maxModelLen: 1024)
        var used = 0, last: [[Int32]] = []  // at the last step
        let alone = try rig.run([request("a", p)]) { s, out in
            used = s.pool.numUsedBlocks
            if let item = out.scheduled.first { last = item.blockTables }
        }
        XCTAssertEqual(alone["a"]?.tokens, reference, "alone")
        XCTAssertEqual(rig.scheduler.pool.numUsedBlocks, 0)
        XCTAssertEqual(last.count, 6)
        XCTAssertEqual(last[0].filter { $0 >= 0 }.count, blocks, "the full-attention table keeps every block")
        for table in last.dropFirst() { XCTAssertLessThanOrEqual(table.filter { $0 >= 0 }.count, 512 / 16 + 2) }
        XCTAssertLessThanOrEqual(used, blocks + 5 * (512 / 16 + 2))

        // Again on the same rig: a prefix-cache hit beyond the window.
        let warm = try rig.run([request("b", p)])
        XCTAssertEqual(warm["b"]?.tokens, reference, "from the prefix cache")
        XCTAssertGreaterThan(rig.cachedTokens, 512, "the hit should reach past the window")

        // Chunks of 48 in a pool too small for two at once: preemption and recompute.
        let tight = ReproducibilityTests.Rig(l, numBlocks: 50, budget: 48, maxModelLen: 1024)
        let pressed = try tight.run([request("c", p), request("d", Array(p.dropFirst(3)))])
        XCTAssertEqual(pressed["c"]?.tokens, reference, "chunked, under preemption")
        XCTAssertGreaterThan(tight.preemptions, 0, "the pool was meant to run out")
        XCTAssertEqual(tight.scheduler.pool.numUsedBlocks, 0)

        // n = 2: the sample forked off the prompt shares its blocks in every table.
        let forks = try ReproducibilityTests.Rig(l, numBlocks: 128, budget: 2048, maxModelLen: 1024).run([request("e", p, n: 2)])
        for i in 0 ..< 2 { XCTAssertEqual(forks[SequenceID("e", i).description]?.tokens, reference, "sample \(i) of n = 2") }
    }
}
