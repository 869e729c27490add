import Engine
import Kernels
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
            XCTAssertEqual((cache.keys.count + cache.values.count) * n * 16 * cache.rowBytes, cache.totalBytes)
        }
    }

    /// The same budget holds twice the f32 blocks in f16 and 64/17 as many in q8_0 (34 bytes
    /// per 32 elements); every block's rows still fit.
    func testSmallerElementsGiveMoreBlocks() {
        let budget = 1 << 30
        func blocks(_ dtype: KVCacheDType) -> Int {
            PagedKVCache.blocks(forBudget: budget, numLayers: 30, blockSize: 16, kvWidth: 192, dtype: dtype)
        }
        XCTAssertEqual(PagedKVCache.bytesPerBlock(numLayers: 30, blockSize: 16, kvWidth: 192, dtype: .f16), 30 * 2 * 16 * 192 * 2)
        XCTAssertEqual(PagedKVCache.bytesPerBlock(numLayers: 30, blockSize: 16, kvWidth: 192, dtype: .q8_0), 30 * 2 * 16 * 6 * 34)
        XCTAssertEqual(blocks(.f16), budget / (30 * 2 * 16 * 192 * 2))
        XCTAssertGreaterThanOrEqual(blocks(.f16), 2 * blocks(.f32))
        XCTAssertGreaterThanOrEqual(blocks(.q8_0), 3 * blocks(.f32))
        for dtype in KVCacheDType.allCases {
            let cache = PagedKVCache(numLayers: 30, numBlocks: blocks(dtype), blockSize: 16, kvWidth: 192, dtype: dtype)
            XCTAssertLessThanOrEqual(cache.totalBytes, budget)
            XCTAssertEqual(cache.rowBytes, dtype.rowBytes(192))
        }
    }
}
