import Engine
import Foundation
import Loader
import Models
import TestSupport
import XCTest

/// The loader on the committed tiny checkpoints: a folder or a GGUF becomes a model with its
/// tokenizer, template and generation defaults; KV sizing caps the context by the pool; a
/// reference that names nothing is a clear error.
final class ModelLoaderTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    func testCheckpointFolderBringsItsGenerationDefaults() throws {
        let loaded = try ModelLoader.load(path: Self.fixtures.appendingPathComponent("tiny-qwen2").path,
                                          options: LoadOptions(threads: 1, matmulPath: .gemv))
        XCTAssertEqual(loaded.model.config.architecture, "qwen2")
        XCTAssertEqual(loaded.samplingDefaults.temperature, 0)
        XCTAssertEqual(loaded.samplingDefaults.topK, 1)
        XCTAssertEqual(loaded.endTokenIDs, [602, 600])
        XCTAssertTrue(loaded.eosTokenIDs.isSuperset(of: [602, 600]))
        guard case .checkpoint = loaded.source else { return XCTFail("a folder loads as a checkpoint") }
    }

    /// A Llama checkpoint with a SentencePiece-style tokenizer.json (Llama 2 / Mistral: byte
    /// fallback, "▁" spaces, BOS from the template and tokenizer_config.json) loads and encodes.
    func testCheckpointWithSentencePieceTokenizer() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tern-spm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (folder, name) in [("tiny-llama", "config.json"), ("tiny-llama", "model.safetensors"),
                               ("tiny-llama2-spm", "tokenizer.json"), ("tiny-llama2-spm", "tokenizer_config.json")] {
            try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent(name),
                                                       withDestinationURL: Self.fixtures.appendingPathComponent("\(folder)/\(name)"))
        }
        let loaded = try ModelLoader.load(path: dir.path, options: LoadOptions(threads: 1, matmulPath: .gemv))
        XCTAssertEqual(loaded.model.config.architecture, "llama")
        let ids = loaded.tokenizer.encode("Hello wörld 😀", addSpecial: true, parseSpecial: true)
        XCTAssertEqual(ids.first, 1, "<s> first")
        XCTAssertTrue(ids.allSatisfy { $0 < loaded.model.config.vocabularySize })
        XCTAssertEqual(loaded.tokenizer.decode(ids), "Hello wörld 😀")
    }

    func testGGUFLoadsWithATokenizer() throws {
        let loaded = try ModelLoader.load(path: Self.fixtures.appendingPathComponent("tiny-gpt2/model.gguf").path,
                                          options: LoadOptions(threads: 1, matmulPath: .gemv))
        XCTAssertEqual(loaded.model.config.architecture, "gpt2")
        XCTAssertFalse(loaded.tokenizer.encode("hello world", addSpecial: false, parseSpecial: false).isEmpty)
        guard case .gguf = loaded.source else { return XCTFail("a .gguf loads as GGUF") }
    }

    /// The tiny Gemma 3 (4B's layout: Gemma3ForConditionalGeneration, a SentencePiece-style
    /// tokenizer.json) and its GGUF conversion load whole: model, tokenizer (the `tokenizers`
    /// package's ids of the reference prompts, <bos> first), Gemma's template, both end tokens.
    func testGemma3CheckpointAndItsGGUFLoad() throws {
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("tiny-gemma3/reference.json")))
        let sequences = try XCTUnwrap((reference as? [String: Any])?["sequences"] as? [[String: Any]])
        for path in ["tiny-gemma3", "tiny-gemma3/model.gguf"] {
            let loaded = try ModelLoader.load(path: Self.fixtures.appendingPathComponent(path).path,
                                              options: LoadOptions(threads: 1, matmulPath: .gemv))
            XCTAssertEqual(loaded.model.config.architecture, "gemma3", path)
            XCTAssertEqual(loaded.model.layerWindows, [5, 5, 5, 5, 5, nil, 5], path)
            for s in sequences {
                let text = try XCTUnwrap(s["text"] as? String), ids = try XCTUnwrap(s["token_ids"] as? [Int])
                XCTAssertEqual(loaded.tokenizer.encode(text, addSpecial: true, parseSpecial: true).prefix(ids.count).map(Int.init), ids, path)
            }
            XCTAssertNotNil(loaded.template, path)
            XCTAssertTrue(loaded.eosTokenIDs.isSuperset(of: [2]), path)
        }
    }

    /// Gemma 3's sliding-window layers: the budget is cut into blocks of 3 layers (a sixth of a
    /// plain 18-layer block), and the longest context counts the window tables' blocks only up to
    /// what their window needs.
    func testKVSizingCountsBlocksOfTheWindowedLayout() throws {
        let loaded = try ModelLoader.load(path: try requiredModel("gemma-3-270m-q4_k_m.gguf"), options: LoadOptions(threads: 1))
        let c = loaded.model.config
        let plainBlock = PagedKVCache.bytesPerBlock(numLayers: c.blockCount, blockSize: 16, kvWidth: c.kvWidth, dtype: loaded.kvCacheDType)
        let sized = try loaded.schedulerConfig(kvCacheMemory: plainBlock * 100, blockSize: 16, maxModelLen: 32768, maxNumSeqs: 8,
                                               maxNumBatchedTokens: 256, enablePrefixCaching: true)
        XCTAssertEqual(sized.config.kvGroups, [KVLayout.Group(window: nil, tables: 1), KVLayout.Group(window: 512, tables: 5)])
        XCTAssertEqual(sized.config.numBlocks, 600)
        XCTAssertEqual(sized.config.maxModelLen, (600 - 5 * sized.config.windowBlocks(512)) * 16, "plain: 100 blocks, 1600 positions")
        XCTAssertEqual(sized.config.blocksNeeded(tokens: sized.config.maxModelLen), 600)
    }

    func testKVSizingCapsTheContextByThePool() throws {
        let loaded = try ModelLoader.load(path: Self.fixtures.appendingPathComponent("tiny-llama").path,
                                          options: LoadOptions(threads: 1, matmulPath: .gemv))
        let c = loaded.model.config
        let perBlock = PagedKVCache.bytesPerBlock(numLayers: c.blockCount, blockSize: 16, kvWidth: c.kvWidth)
        let sized = try loaded.schedulerConfig(kvCacheMemory: perBlock * 4, blockSize: 16, maxModelLen: 1000, maxNumSeqs: 8,
                                               maxNumBatchedTokens: 0, enablePrefixCaching: true)
        XCTAssertEqual(sized.config.numBlocks, 4)
        XCTAssertEqual(sized.config.maxModelLen, 64, "capped by 4 blocks of 16")
        XCTAssertEqual(sized.config.maxNumBatchedTokens, 1)
        XCTAssertNotNil(sized.warning)
        let roomy = try loaded.schedulerConfig(kvCacheMemory: perBlock * 10_000, blockSize: 16, maxModelLen: nil, maxNumSeqs: 8,
                                               maxNumBatchedTokens: 2048, enablePrefixCaching: true)
        XCTAssertEqual(roomy.config.maxModelLen, c.contextLength, "the trained context when the pool is larger")
        XCTAssertNil(roomy.warning)
        XCTAssertThrowsError(try loaded.schedulerConfig(kvCacheMemory: perBlock - 1, blockSize: 16, maxModelLen: nil, maxNumSeqs: 8,
                                                        maxNumBatchedTokens: 2048, enablePrefixCaching: true)) {
            XCTAssertEqual($0 as? LoaderError, .kvPoolTooSmall(bytesPerBlock: perBlock))
        }
        // More than the machine has: a clear error before anything is mapped (it used to trap).
        let memory = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        XCTAssertThrowsError(try loaded.schedulerConfig(kvCacheMemory: memory + 1, blockSize: 16, maxModelLen: nil, maxNumSeqs: 8,
                                                        maxNumBatchedTokens: 2048, enablePrefixCaching: true)) {
            XCTAssertEqual($0 as? LoaderError, .kvPoolTooLarge(bytes: memory + 1, physicalMemory: memory))
        }
    }

    func testReferencesAreFilesOrHubRepos() throws {
        XCTAssertEqual(try ModelReference("./m.gguf"), .file("./m.gguf"))
        XCTAssertEqual(try ModelReference("model.gguf"), .file("model.gguf"))
        XCTAssertEqual(try ModelReference("org/name:Q4_K_M"), .hub(repo: "org/name", quant: "Q4_K_M"))
        XCTAssertEqual(try ModelReference("org/name"), .hub(repo: "org/name", quant: nil))
        XCTAssertThrowsError(try ModelReference("nothing")) { XCTAssertEqual($0 as? LoaderError, .badReference("nothing")) }
        XCTAssertEqual(ModelReference.file("/a/b/SmolLM2.Q4_1.gguf").servedName(as: "x"), "SmolLM2.Q4_1")
        XCTAssertEqual(ModelReference.hub(repo: "org/name", quant: nil).servedName(as: "org/name:Q4_0"), "org/name:Q4_0")
    }
}
