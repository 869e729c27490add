import Engine
import Foundation
import Kernels
import Loader
import Models
import XCTest

/// `--kv-cache-dtype`: the flag's text, `auto` on full-precision files, an explicit choice
/// sizing the pool by its element size, and a type the model's heads cannot take.
final class KVCacheDTypeLoaderTests: XCTestCase {
    static let fixtures = ModelLoaderTests.fixtures

    func testFlagTextParses() throws {
        XCTAssertNil(try LoadOptions.kvCacheDType(parsing: "auto"))
        XCTAssertEqual(try LoadOptions.kvCacheDType(parsing: "f32"), .f32)
        XCTAssertEqual(try LoadOptions.kvCacheDType(parsing: "f16"), .f16)
        XCTAssertEqual(try LoadOptions.kvCacheDType(parsing: "q8_0"), .q8_0)
        for bad in ["fp8", "F16", "", "q8"] {
            XCTAssertThrowsError(try LoadOptions.kvCacheDType(parsing: bad)) {
                XCTAssertEqual($0 as? LoaderError, .badOption("--kv-cache-dtype must be one of auto, f32, f16, q8_0 (got '\(bad)')"))
            }
        }
    }

    /// The tiny F32 checkpoints keep f32 under auto (so their goldens stay bit-identical).
    func testAutoKeepsF32ForFullPrecisionFiles() throws {
        for name in ["tiny-llama", "tiny-gpt2/model.gguf"] {
            let loaded = try ModelLoader.load(path: Self.fixtures.appendingPathComponent(name).path,
                                              options: LoadOptions(threads: 1, matmulPath: .gemv))
            XCTAssertEqual(loaded.kvCacheDType, .f32, name)
            XCTAssertTrue(loaded.notes.contains("KV cache: f32 (auto)"), name)
        }
    }

    func testF16HalvesTheBlockSizeOfThePool() throws {
        let path = Self.fixtures.appendingPathComponent("tiny-llama").path
        let f32 = try ModelLoader.load(path: path, options: LoadOptions(threads: 1, matmulPath: .gemv, kvCacheDType: .f32))
        let f16 = try ModelLoader.load(path: path, options: LoadOptions(threads: 1, matmulPath: .gemv, kvCacheDType: .f16))
        let c = f32.model.config
        let perBlock = PagedKVCache.bytesPerBlock(numLayers: c.blockCount, blockSize: 16, kvWidth: c.kvWidth)
        func sized(_ m: LoadedModel) throws -> SchedulerConfig {
            try m.schedulerConfig(kvCacheMemory: perBlock * 10, blockSize: 16, maxModelLen: nil, maxNumSeqs: 8,
                                  maxNumBatchedTokens: 64, enablePrefixCaching: true).config
        }
        XCTAssertEqual(try sized(f32).numBlocks, 10)
        XCTAssertEqual(try sized(f16).numBlocks, 20, "the same budget holds twice the blocks")
        XCTAssertEqual(try sized(f16).kvCacheDType, .f16)
        XCTAssertEqual(try sized(f32).kvCacheDType, .f32)
    }

    func testQ8_0NeedsHeadsOfWholeBlocks() throws {
        XCTAssertThrowsError(try ModelLoader.load(path: Self.fixtures.appendingPathComponent("tiny-llama").path,
                                                  options: LoadOptions(threads: 1, matmulPath: .gemv, kvCacheDType: .q8_0))) {
            XCTAssertEqual($0 as? LoaderError, .kvCacheDTypeUnsupported(.q8_0, headDim: 16))
        }
    }
}
