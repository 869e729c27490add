import Engine
import Models
import XCTest

/// The KV pool takes what its budget says and no more; blocks return after use.
final class KVBudgetTests: XCTestCase {
    func testPoolBytesStayWithinTheBudget() {
        // SmolLM2's shape: 30 layers, 3 KV heads × 64.
        for budget in [64 << 20, 1 << 30, 3 * 1_000_000 + 17] {
            let n = PagedKVCache.blocks(forBudget: budget, numLayers: 30, blockSize: 16, kvWidth: 192)
            let perBlock = PagedKVCache.bytesPerBlock(numLayers: 30, blockSize: 16, kvWidth: 192)
            XCTAssertEqual(perBlock, 30 * 2 * 16 * 192 * 4)
            let cache = PagedKVCache(numLayers: 30, numBlocks: n, blockSize: 16, kvWidth: 192)
            XCTAssertLessThanOrEqual(cache.totalBytes, budget)
            XCTAssertGreaterThan(cache.totalBytes + perBlock, budget, "a whole further block would have fit")
            XCTAssertEqual(cache.keys.reduce(0) { $0 + $1.count * 4 } + cache.values.reduce(0) { $0 + $1.count * 4 }, cache.totalBytes)
        }
    }
}
