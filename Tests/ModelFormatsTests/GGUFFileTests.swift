import Foundation
import TestSupport
import XCTest
import ModelFormats

final class GGUFFileTests: XCTestCase {
    func testEveryValueTypeRoundTrips() throws {
        for version: UInt32 in [2, 3] {
            var w = GGUFWriter()
            w.version = version
            let values: [(String, GGUFValue)] = [
                ("u8", .uint8(200)), ("i8", .int8(-5)), ("u16", .uint16(60000)), ("i16", .int16(-300)),
                ("u32", .uint32(4_000_000_000)), ("i32", .int32(-7)), ("f32", .float32(1.5)), ("b", .bool(true)),
                ("s", .string("héllo ✓")), ("u64", .uint64(1 << 40)), ("i64", .int64(-(1 << 40))), ("f64", .float64(-2.25)),
                ("a.str", .array(.string(["a", "", "ü"]))), ("a.f32", .array(.float32([1, 2, 3]))),
                ("a.nested", .array(.array([.int32([1, 2]), .string(["x"]), .array([.bool([true, false])])]))),
                ("a.empty", .array(.uint8([]))),
            ]
            w.metadata = values
            let f = try parse(w.bytes())
            XCTAssertEqual(f.version, version)
            for (k, v) in values { XCTAssertEqual(f.metadata[k], v, k) }
            XCTAssertEqual(f.metadataKeys, values.map(\.0))
        }
    }

    func testTensorsAreViewedInPlaceWithAlignment() throws {
        var w = GGUFWriter()
        w.alignment = 64
        w.metadata = [("general.alignment", .uint32(64))]
        let a = (0 ..< 8).flatMap { withUnsafeBytes(of: Float($0)) { Array($0) } }
        w.tensors = [("a", 0, [4, 2], a), ("b", 8, [32], [UInt8](repeating: 1, count: 34))]
        let f = try parse(w.bytes())
        XCTAssertEqual(f.alignment, 64)
        let t = try f.tensor("a")
        XCTAssertEqual(t.shape, [4, 2])
        XCTAssertEqual(t.rowCount, 2)
        XCTAssertEqual(t.row(1).load(fromByteOffset: 4, as: Float.self), 5)
        XCTAssertEqual(try f.tensor("b").type, .q8_0)
        XCTAssertEqual(try f.tensor("b").fileOffset % 64, 0)
        XCTAssertThrowsError(try f.tensor("c")) { XCTAssertEqual($0 as? ModelFormatError, .missingTensor("c")) }
    }

    func testDefectsGiveTypedErrors() {
        func expect(_ bytes: [UInt8], _ check: (ModelFormatError) -> Bool, line: UInt = #line) {
            do { _ = try parse(bytes); XCTFail("parsed a defective file", line: line) } catch let e as ModelFormatError {
                XCTAssertTrue(check(e), "\(e)", line: line)
            } catch { XCTFail("\(error)", line: line) }
        }
        var w = GGUFWriter()
        w.metadata = [("k", .string("v"))]
        w.tensors = [("t", 0, [4], [UInt8](repeating: 0, count: 16))]
        let good = w.bytes()
        var bad = good; bad[0] = 0x47 ^ 0xFF
        expect(bad) { if case .badMagic = $0 { return true }; return false }
        bad = good; bad[4] = 9
        expect(bad) { $0 == .unsupportedVersion(9) }
        expect(Array(good[0 ..< 30])) { if case .absurdCount = $0 { return true }; return false }
        expect(Array(good[0 ..< 70])) { if case .truncated = $0 { return true }; return false }
        expect(Array(good.dropLast(8))) { if case .tensorOutOfBounds = $0 { return true }; return false }
        bad = good; bad[8] = 0xFF; bad[15] = 0x7F   // tensor count 2^63-ish
        expect(bad) { if case .absurdCount = $0 { return true }; return false }
        var w2 = w; w2.tensors = [("t", 99, [4], [UInt8](repeating: 0, count: 16))]
        expect(w2.bytes()) { $0 == .unknownTensorType(tensor: "t", type: 99) }
        w2 = w; w2.tensors = [("t", 8, [33], [UInt8](repeating: 0, count: 68))]
        expect(w2.bytes()) { if case .rowNotBlockAligned = $0 { return true }; return false }
        w2 = w; w2.tensors = [("t", 0, [0], [])]
        expect(w2.bytes()) { if case .badDimensions = $0 { return true }; return false }
        w2 = w; w2.tensors = [("t", 0, [1 << 31, 1 << 31], [])]
        expect(w2.bytes()) { if case .badDimensions = $0 { return true }; return false }
        w2 = w; w2.tensors = [("t", 0, [4], [UInt8](repeating: 0, count: 16)), ("t", 0, [4], [UInt8](repeating: 0, count: 16))]
        expect(w2.bytes()) { $0 == .duplicateTensor("t") }
        w2 = w; w2.metadata = [("k", .string("v")), ("k", .uint8(1))]
        expect(w2.bytes()) { $0 == .duplicateKey("k") }
        w2 = w; w2.metadata = [("general.alignment", .uint32(48))]
        expect(w2.bytes()) { $0 == .badAlignment(48) }
        // Two tensors whose offsets point at the same bytes.
        w2 = w; w2.tensors = [("a", 0, [8], [UInt8](repeating: 0, count: 32)), ("b", 0, [8], [UInt8](repeating: 0, count: 32))]
        var overlapping = w2.bytes()
        if let r = overlapping.lastIndex(of: UInt8(ascii: "b")) { for i in 0 ..< 8 { overlapping[r + 1 + 4 + 8 + 4 + i] = 0 } }
        expect(overlapping) { if case .overlappingTensors = $0 { return true }; return false }
        // Invalid UTF-8 in a key.
        var w3 = GGUFWriter(); w3.metadata = [("k\u{00E9}", .uint8(1))]
        var badUTF = w3.bytes()
        if let i = badUTF.firstIndex(of: 0xC3) { badUTF[i] = 0xFF }
        expect(badUTF) { if case .invalidString = $0 { return true }; return false }
        // Arrays nested too deeply.
        var deep: GGUFArray = .uint8([1])
        for _ in 0 ..< 6 { deep = .array([deep]) }
        var w4 = GGUFWriter(); w4.metadata = [("deep", .array(deep))]
        expect(w4.bytes()) { if case .nestingTooDeep = $0 { return true }; return false }
    }

    /// A file with a tensor of every type Tern reads (block sizes and bytes from the GGUF
    /// format: ggml's type traits) loads, each viewed in place with its row bytes; a type
    /// Tern does not read (IQ2_XXS) stays a typed error naming it.
    func testEveryTensorTypeLoadsWithItsBlockLayout() throws {
        let layouts: [(name: String, raw: UInt32, elems: Int, bytes: Int)] = [
            ("F32", 0, 1, 4), ("F16", 1, 1, 2), ("BF16", 30, 1, 2), ("Q4_0", 2, 32, 18), ("Q4_1", 3, 32, 20),
            ("Q5_0", 6, 32, 22), ("Q5_1", 7, 32, 24), ("Q8_0", 8, 32, 34), ("Q2_K", 10, 256, 84), ("Q3_K", 11, 256, 110),
            ("Q4_K", 12, 256, 144), ("Q5_K", 13, 256, 176), ("Q6_K", 14, 256, 210), ("IQ4_NL", 20, 32, 18),
            ("IQ4_XS", 23, 256, 136),
        ]
        var w = GGUFWriter()
        var rng = SystemRandomNumberGenerator()
        for l in layouts {  // (3, 512) each
            let bytes = 3 * 512 / l.elems * l.bytes
            w.tensors.append((l.name, l.raw, [512, 3], (0 ..< bytes).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }))
        }
        let f = try parse(w.bytes())
        for (l, written) in zip(layouts, w.tensors) {
            let t = try f.tensor(l.name)
            XCTAssertEqual(t.type.name, l.name)
            XCTAssertEqual(t.type.rawValue, l.raw)
            XCTAssertEqual(t.type.blockSize, l.elems, l.name)
            XCTAssertEqual(t.type.bytesPerBlock, l.bytes, l.name)
            XCTAssertEqual(t.rowCount, 3)
            XCTAssertEqual(t.rowBytes * 3, written.data.count, l.name)
            XCTAssertEqual(Array(UnsafeRawBufferPointer(start: t.data, count: written.data.count)), written.data, l.name)
        }
        XCTAssertEqual(Set(GGMLType.allCases.map(\.name)), Set(layouts.map(\.name)))
        var w2 = GGUFWriter()
        w2.tensors = [("t", 16, [256], [UInt8](repeating: 0, count: 66))]
        XCTAssertThrowsError(try parse(w2.bytes())) { XCTAssertEqual($0 as? ModelFormatError, .unknownTensorType(tensor: "t", type: 16)) }
        XCTAssertEqual(GGMLType.nameOf(raw: 16), "IQ2_XXS (16)")
        XCTAssertEqual(GGMLType.nameOf(raw: 23), "IQ4_XS")
    }

    func testReadsTheRealSmolLM2Header() throws {
        let path = try requiredModel("SmolLM2-135M-Instruct.Q4_1.gguf")
        let f = try GGUFFile(path: path)
        XCTAssertEqual(f.version, 3)
        XCTAssertEqual(f.tensors.count, 272)
        XCTAssertEqual(try f.string("general.architecture"), "llama")
        XCTAssertEqual(try f.int("llama.block_count"), 30)
        XCTAssertEqual(f.metadata["tokenizer.ggml.tokens"]?.array?.count, 49152)
        XCTAssertEqual(f.metadata["tokenizer.ggml.merges"]?.array?.count, 48900)
        let emb = try f.tensor("token_embd.weight")
        XCTAssertEqual(emb.type, .q8_0)
        XCTAssertEqual(emb.shape, [576, 49152])
        XCTAssertEqual(try f.tensor("blk.0.ffn_down.weight").type, .q4_1)
    }
}
