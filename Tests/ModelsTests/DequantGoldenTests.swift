import Foundation
import Kernels
import ModelFormats
import XCTest

/// Dequantization of real tensors of both models against the `gguf` package's numpy
/// dequantization (rows and whole-tensor sums in Tests/Fixtures/<model>/dequant.json).
final class DequantGoldenTests: XCTestCase {
    func check(_ model: String, dir: String) throws {
        let file = try GGUFFile(path: TestModels.path(model))
        guard let golden = try TestModels.json("\(dir)/dequant.json") as? [String: Any],
              let tensors = golden["tensors"] as? [[String: Any]] else { return XCTFail("bad fixture") }
        var types = Set<String>()
        for g in tensors {
            let name = g["name"] as! String
            let t = try file.tensor(name)
            XCTAssertEqual(t.type.name, g["type"] as? String)
            types.insert(t.type.name)
            let w = WeightMatrix(type: Int32(t.type.rawValue), rows: t.rowCount, cols: t.rowLength, rowBytes: t.rowBytes, data: t.data)
            var row = [Float](repeating: 0, count: t.rowLength)
            for (r, values) in g["rows"] as! [String: [Double]] {
                w.dequantizeRow(Int(r)!, into: &row)
                for (a, b) in zip(row, values) where Float(b) != a {
                    XCTFail("\(name) row \(r): \(a) != \(b)")
                    break
                }
            }
            // Whole tensor: sums over every element, in panels.
            var sum = 0.0, sumsq = 0.0
            let panel = max(1, (1 << 20) / t.rowLength)
            var buf = [Float](repeating: 0, count: panel * t.rowLength)
            for r0 in stride(from: 0, to: t.rowCount, by: panel) {
                let r1 = min(t.rowCount, r0 + panel)
                w.dequantizeRows(r0, r1, into: &buf)
                for v in buf[0 ..< (r1 - r0) * t.rowLength] { sum += Double(v); sumsq += Double(v) * Double(v) }
            }
            XCTAssertEqual(sum, g["sum"] as! Double, accuracy: 1e-6 * max(1, sumsq), name)
            XCTAssertEqual(sumsq, g["sumsq"] as! Double, accuracy: 1e-9 * sumsq, name)
        }
        print("\(dir): dequantization matches gguf for types \(types.sorted())")
    }

    func testSmolLM2() throws { try check(TestModels.smolLM2, dir: "smollm2") }
    func testGemma3() throws { try check(TestModels.gemma3, dir: "gemma3") }
}
