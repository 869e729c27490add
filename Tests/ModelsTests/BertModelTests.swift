import Foundation
import Kernels
import ModelFormats
import Models
import Tokenizers
import XCTest

/// The tiny random BERT encoders (Tests/Fixtures/tiny-bert, and tiny-nomic-bert as GGUF) against the NumPy reference of
/// scripts/golden/make_tiny_checkpoints.py: final hidden states of every position and the mean-
/// and CLS-pooled normalized embeddings within 1e-4, from the safetensors folder and its GGUF
/// conversion, through both matmul paths; the WordPiece tokenizer (from the GGUF and from
/// tokenizer.json) against the `tokenizers` package's ids; and an encoder refuses to produce logits.
final class BertModelTests: XCTestCase {
    struct Reference {
        let text: String
        let tokens: [Int32]
        let hidden: [[Double]]
        let mean: [Double]
        let cls: [Double]
    }

    static func references(_ model: String = "tiny-bert") throws -> [Reference] {
        let json = try XCTUnwrap(TestModels.json("\(model)/reference.json") as? [String: Any])
        return try XCTUnwrap(json["sequences"] as? [[String: Any]]).map { s in
            Reference(text: try XCTUnwrap(s["text"] as? String), tokens: try XCTUnwrap(s["token_ids"] as? [Int]).map(Int32.init),
                      hidden: try XCTUnwrap(s["hidden"] as? [[Double]]), mean: try XCTUnwrap(s["mean"] as? [Double]),
                      cls: try XCTUnwrap(s["cls"] as? [Double]))
        }
    }

    static func gguf(_ model: String = "tiny-bert") -> String { TestModels.fixtures.appendingPathComponent("\(model)/model.gguf").path }

    /// Hidden states of every token of `tokens`, one forward pass.
    static func hidden(_ model: any LanguageModel, _ tokens: [Int32]) throws -> [[Float]] {
        let blocks = (tokens.count + 15) / 16
        let cache = model.makeCache(numBlocks: blocks, blockSize: 16)
        var batch = ForwardBatch()
        batch.append(tokens: tokens, startPosition: 0, blockTables: [(0 ..< blocks).map(Int32.init)], logitsFor: [],
                     hiddenFor: Array(tokens.indices))
        let h = try model.forwardWithHidden(batch, cache: cache).hidden
        let w = model.config.embeddingLength
        return tokens.indices.map { r in Array(UnsafeBufferPointer(start: h.pointer + r * w, count: w)) }
    }

    static func unit(_ v: [Double]) -> [Double] {
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / n }
    }

    func check(_ format: String, model name: String = "tiny-bert", architecture: String = "bert",
               load: (Matmul) throws -> any LanguageModel) throws {
        for path in [MatmulPath.gemv, .gemm] {
            let model = try load(Matmul(pool: TestModels.pool, path: path))
            XCTAssertEqual(model.config.architecture, architecture)
            XCTAssertFalse(model.generates)
            XCTAssertEqual(model.pooling, .mean)
            var worst = 0.0
            for ref in try Self.references(name) {
                let rows = try Self.hidden(model, ref.tokens)
                XCTAssertEqual(rows.count, ref.hidden.count)
                for (row, want) in zip(rows, ref.hidden) {
                    for (a, b) in zip(row, want) { worst = max(worst, abs(Double(a) - b)) }
                }
                let width = rows[0].count
                let mean = Self.unit((0 ..< width).map { j in rows.reduce(0.0) { $0 + Double($1[j]) } })
                let cls = Self.unit(rows[0].map(Double.init))
                for (a, b) in Array(zip(mean, ref.mean)) + Array(zip(cls, ref.cls)) { worst = max(worst, abs(a - b)) }
            }
            XCTAssertLessThan(worst, 1e-4, "\(name) \(format) \(path)")
            print("\(name) \(format) \(path): worst hidden/embedding error \(worst)")
        }
    }

    func testGGUFAgainstNumPy() throws {
        let file = try GGUFFile(path: Self.gguf())
        try check("GGUF") { try ModelRegistry.load(file, matmul: $0) }
    }

    /// nomic-bert: rotary positions, fused bias-free QKV, SwiGLU.
    func testNomicBertGGUFAgainstNumPy() throws {
        let file = try GGUFFile(path: Self.gguf("tiny-nomic-bert"))
        try check("GGUF", model: "tiny-nomic-bert", architecture: "nomic-bert") { try ModelRegistry.load(file, matmul: $0) }
    }

    func testSafetensorsAgainstNumPy() throws {
        let checkpoint = try SafetensorsCheckpoint(folder: TestModels.fixtures.appendingPathComponent("tiny-bert").path)
        try check("safetensors") { try ModelRegistry.load(checkpoint, matmul: $0) }
        let nomic = try SafetensorsCheckpoint(folder: TestModels.fixtures.appendingPathComponent("tiny-nomic-bert").path)
        try check("safetensors", model: "tiny-nomic-bert", architecture: "nomic-bert") { try ModelRegistry.load(nomic, matmul: $0) }
    }

    func testWordPieceMatchesTokenizers() throws {
        let tokenizer = try TokenizerFactory.load(from: GGUFFile(path: Self.gguf()))
        XCTAssertTrue(tokenizer is WordPiece)
        let folder = try XCTUnwrap(TokenizerFactory.wordPiece(huggingFaceFolder: TestModels.fixtures.appendingPathComponent("tiny-bert").path))
        for ref in try Self.references() {
            XCTAssertEqual(tokenizer.encode(ref.text, addSpecial: true, parseSpecial: false), ref.tokens, ref.text)
            XCTAssertEqual(folder.encode(ref.text, addSpecial: true, parseSpecial: false), ref.tokens, "tokenizer.json: \(ref.text)")
        }
        XCTAssertNil(try TokenizerFactory.wordPiece(huggingFaceFolder: TestModels.fixtures.appendingPathComponent("tiny-gpt2").path),
                     "a BPE tokenizer.json is not WordPiece")
        // A word with a character outside the vocabulary is one [UNK].
        let unk = try XCTUnwrap(tokenizer.vocabulary.tokenToID[Array("[UNK]".utf8)])
        XCTAssertEqual(tokenizer.encode("the \u{A66E}x river", addSpecial: false, parseSpecial: false).filter { $0 == unk }.count, 1)
    }

    func testEncoderRefusesLogitsAndPartialSequences() throws {
        let model = try ModelRegistry.load(GGUFFile(path: Self.gguf()), matmul: Matmul(pool: TestModels.pool))
        let cache = model.makeCache(numBlocks: 2, blockSize: 16)
        var batch = ForwardBatch()
        batch.append(tokens: [2, 60, 3], startPosition: 0, blockTables: [[0, 1]], logitsFor: [2])
        XCTAssertThrowsError(try model.forward(batch, cache: cache)) { XCTAssertEqual($0 as? ModelError, .cannotGenerate("bert")) }
        var later = ForwardBatch()
        later.append(tokens: [60, 3], startPosition: 4, blockTables: [[0, 1]], logitsFor: [], hiddenFor: [1])
        XCTAssertThrowsError(try model.forwardWithHidden(later, cache: cache), "a sequence must come whole")
    }
}
