import CKernels
import Foundation
import Kernels
import XCTest

/// Dequantization of real tensors of llama.cpp-quantized files, every GGUF type Tern reads,
/// against the `gguf` package's numpy dequantization, bit for bit: stretches of four rows per
/// type with their raw bytes (Tests/Fixtures/quants/<TYPE>.json, written by
/// scripts/golden/make_quant_golden.py), on the portable and the SIMD paths.
final class QuantGoldenTests: XCTestCase {
    static let types = ["F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
                        "Q6_K", "IQ4_NL", "IQ4_XS"]

    override func setUp() { Ops.setup() }
    override func tearDown() { Ops.setSIMD(true) }

    struct Golden: Decodable {
        struct Row: Decodable { let row: Int; let start: Int; let bytes: String; let values: String }
        let type: String
        let type_id: Int32
        let tensor: String
        let count: Int
        let rows: [Row]
    }

    static func golden(_ type: String) throws -> Golden {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/quants/\(type).json")
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }

    /// The float32 values of little-endian bits.
    static func floats(_ data: Data) -> [Float] {
        data.withUnsafeBytes { raw in (0 ..< raw.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
    }

    func testEveryTypeDequantizesBitIdenticallyToGGUF() throws {
        for type in Self.types {
            let g = try Self.golden(type)
            XCTAssertEqual(g.type, type)
            for row in g.rows {
                let bytes = try XCTUnwrap(Data(base64Encoded: row.bytes)), expected = Self.floats(try XCTUnwrap(Data(base64Encoded: row.values)))
                XCTAssertEqual(expected.count, g.count)
                for simd in [false, true] {
                    Ops.setSIMD(simd)
                    var out = [Float](repeating: .nan, count: g.count)
                    let rc = bytes.withUnsafeBytes { tern_dequantize(g.type_id, $0.baseAddress!, &out, Int64(g.count)) }
                    XCTAssertEqual(rc, 0, "\(type) is not supported")
                    let mismatches = zip(out, expected).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
                    if let first = mismatches.first {
                        XCTFail("\(type) \(g.tensor) row \(row.row) +\(row.start + first.offset) (simd \(simd)): "
                                + "\(first.element.0) != \(first.element.1), \(mismatches.count) of \(g.count) differ")
                    }
                }
            }
        }
    }
}
