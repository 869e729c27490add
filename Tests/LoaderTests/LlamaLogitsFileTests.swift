import Foundation
import Loader
import XCTest

/// The reader of llama-perplexity's logits file on files written by `LogitsFileWriter`: header,
/// tokens, every record's log-probabilities (odd vocabulary: padded records), and clear errors
/// for another format or a truncated file.
final class LlamaLogitsFileTests: XCTestCase {
    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).kld").path
    }

    func testReadsHeaderTokensAndRecords() throws {
        let nCtx = 8, nVocab = 5, nChunk = 2
        var rng = SystemRandomNumberGenerator()
        let tokens = (0 ..< nCtx * nChunk).map { _ in Int32.random(in: 0 ..< Int32(nVocab), using: &rng) }
        var writer = LogitsFileWriter(contextSize: nCtx, vocabularySize: nVocab, tokens: tokens)
        var logits: [[Float]] = [], stated: [[Float]] = []
        for _ in 0 ..< nChunk * (nCtx - 1 - nCtx / 2) {
            // One logit far below the others: clamped to the minimum log-probability.
            var row = (0 ..< nVocab).map { _ in Float.random(in: -4 ... 4, using: &rng) }
            row[Int.random(in: 0 ..< nVocab, using: &rng)] = -40
            logits.append(row)
            stated.append(writer.appendRecord(logits: row))
        }
        let path = temporaryPath("reader")
        try writer.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let file = try LlamaLogitsFile(path: path)
        XCTAssertEqual(file.contextSize, nCtx)
        XCTAssertEqual(file.vocabularySize, nVocab)
        XCTAssertEqual(file.chunkCount, nChunk)
        XCTAssertEqual(file.scoredPerChunk, 3)
        XCTAssertEqual(file.recordWords, 10, "5 values padded to 6, plus 4 for two floats")
        XCTAssertEqual(file.tokens, tokens)
        for chunk in 0 ..< nChunk {
            for row in 0 ..< file.scoredPerChunk {
                let record = file.record(chunk: chunk, row: row), k = chunk * file.scoredPerChunk + row
                let l = logits[k], m = l.max()!, lse = Float(log(l.reduce(0.0) { $0 + exp(Double($1 - m)) }))
                for i in 0 ..< nVocab {
                    XCTAssertEqual(record.logProb(i), stated[k][i], "chunk \(chunk) row \(row) token \(i)")
                    let exact = l[i] - m - lse
                    if l[i] > m - 16 {
                        XCTAssertEqual(record.logProb(i), exact, accuracy: record.scale * 0.5 + 1e-5)
                    } else {
                        XCTAssertEqual(record.logProb(i), record.minLogProb)
                        XCTAssertGreaterThan(record.logProb(i), exact, "below the window: stored as its floor")
                    }
                }
            }
        }
    }

    func testAnotherFormatOrATruncatedFileIsAClearError() throws {
        var writer = LogitsFileWriter(contextSize: 4, vocabularySize: 3, tokens: [1, 2, 0, 1, 2, 2, 0, 1])
        for _ in 0 ..< 2 { writer.appendRecord(logits: [0.5, -1, 2]) }
        let path = temporaryPath("bad")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try writer.write(to: path)
        XCTAssertNoThrow(try LlamaLogitsFile(path: path))

        try writer.data.dropLast(2).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try LlamaLogitsFile(path: path)) { error in
            guard case .badLogitsFile(_, let reason) = error as? LoaderError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("truncated"), reason)
        }
        var other = writer.data
        other[0] = UInt8(ascii: "X")
        try other.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try LlamaLogitsFile(path: path)) { error in
            guard case .badLogitsFile(_, let reason) = error as? LoaderError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("_logits_"), reason)
        }
        XCTAssertThrowsError(try LlamaLogitsFile(path: path + ".missing")) {
            guard case .badLogitsFile = $0 as? LoaderError else { return XCTFail("\($0)") }
        }
    }
}
