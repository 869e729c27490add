import Foundation
import ModelFormats
import XCTest

/// The safetensors reader and checkpoint folders: values in place, every header defect a
/// typed error (including thousands of random header mutations), sharded folders.
final class SafetensorsTests: XCTestCase {
    /// Writes a safetensors file from (name, dtype, shape, bytes) with a given header text hook.
    static func write(_ tensors: [(String, String, [Int], [UInt8])], to url: URL, editHeader: (String) -> String = { $0 }) throws {
        var entries: [String] = []
        var data: [UInt8] = []
        for (name, dtype, shape, bytes) in tensors {
            entries.append("\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(data.count),\(data.count + bytes.count)]}")
            data += bytes
        }
        let header = Array(editHeader("{\"__metadata__\":{\"format\":\"pt\"}," + entries.joined(separator: ",") + "}").utf8)
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out += $0 }
        try Data(out + header + data).write(to: url)
    }

    /// Every file a test writes lives under one folder, removed after the test.
    nonisolated(unsafe) static var scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tern-st")

    override func setUp() {
        Self.scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tern-st-\(UUID().uuidString)")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: Self.scratch)
    }

    static func temp(_ name: String = "t.safetensors") -> URL {
        let dir = scratch.appendingPathComponent(UUID().uuidString)
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name)
    }

    static func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

    static let sample: [(String, String, [Int], [UInt8])] = [
        ("a.weight", "F32", [2, 3], bytes([Float](arrayLiteral: 1, -2, 3.5, 0, 1e-3, 7))),
        ("b.bias", "F16", [4], bytes([UInt16](arrayLiteral: 0x3C00, 0xC000, 0x3800, 0x0000))),
        ("c", "BF16", [1, 2], bytes([UInt16](arrayLiteral: 0x3F80, 0x4040))),
        ("steps", "I64", [], bytes([Int64](arrayLiteral: 7))),
    ]

    func testValuesAreReadInPlace() throws {
        let url = Self.temp()
        try Self.write(Self.sample, to: url)
        let file = try SafetensorsFile(path: url.path)
        XCTAssertEqual(file.metadata, ["format": "pt"])
        let a = try file.tensor("a.weight")
        XCTAssertEqual(a.shape, [2, 3])
        XCTAssertEqual(Array(UnsafeBufferPointer(start: a.data.assumingMemoryBound(to: Float.self), count: 6)), [1, -2, 3.5, 0, 1e-3, 7])
        let b = try file.tensor("b.bias")
        XCTAssertEqual(Array(UnsafeBufferPointer(start: b.data.assumingMemoryBound(to: UInt16.self), count: 4)), [0x3C00, 0xC000, 0x3800, 0])
        XCTAssertEqual(try file.tensor("c").dtype, "BF16")
        XCTAssertEqual(try file.tensor("steps").shape, [])
        XCTAssertThrowsError(try file.tensor("nope")) { XCTAssertEqual($0 as? ModelFormatError, .missingTensor("nope")) }
    }

    func testHeaderDefectsAreTypedErrors() throws {
        let cases: [(String, (String) -> String)] = [
            ("offsets that disagree with the shape", { $0.replacingOccurrences(of: "[2, 3]", with: "[2, 4]") }),
            ("an unknown dtype", { $0.replacingOccurrences(of: "\"F16\"", with: "\"Q4\"") }),
            ("a negative dimension", { $0.replacingOccurrences(of: "[2, 3]", with: "[-2, -3]") }),
            ("a boolean dimension", { $0.replacingOccurrences(of: "[1, 2]", with: "[true, 2]") }),
            ("a fractional offset", { $0.replacingOccurrences(of: "[0,24]", with: "[0.5,24]") }),
            ("data past the end", { $0.replacingOccurrences(of: "[36,44]", with: "[36,8036]").replacingOccurrences(of: "\"shape\":[]", with: "\"shape\":[1000]") }),
            ("overlapping tensors", { $0.replacingOccurrences(of: "[32,36]", with: "[30,34]") }),
            ("a header that is not an object", { _ in "[1,2,3]" }),
            ("a tensor that is not an object", { $0.replacingOccurrences(of: "\"steps\":{", with: "\"steps\":[{").replacingOccurrences(of: "]}}", with: "]}]}") }),
            ("broken JSON", { String($0.dropLast(2)) }),
            ("huge shapes", { $0.replacingOccurrences(of: "[2, 3]", with: "[4294967296, 4294967296, 4294967296]") }),
        ]
        for (what, edit) in cases {
            let url = Self.temp()
            try Self.write(Self.sample, to: url, editHeader: edit)
            XCTAssertThrowsError(try SafetensorsFile(path: url.path), what) { error in
                XCTAssertTrue(error is ModelFormatError, "\(what): \(error)")
            }
        }
        // Header lengths larger than the file, and files too short for one.
        let url = Self.temp()
        try Data([0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D]).write(to: url)
        XCTAssertThrowsError(try SafetensorsFile(path: url.path))
        try Data([1, 2, 3]).write(to: url)
        XCTAssertThrowsError(try SafetensorsFile(path: url.path))
    }

    /// Offsets are read as exact 64-bit integers (not through a Double), and a name listed
    /// twice is not silently merged.
    func testOffsetsAreExactAndNamesUnique() throws {
        let url = Self.temp()
        try Self.write(Self.sample, to: url) { $0.replacingOccurrences(of: "[36,44]", with: "[9007199254740993,9007199254741001]") }
        XCTAssertThrowsError(try SafetensorsFile(path: url.path)) {
            XCTAssertEqual($0 as? ModelFormatError, .tensorOutOfBounds(tensor: "steps", offset: 9_007_199_254_740_993, size: 8, available: 44))
        }
        try Self.write(Self.sample, to: url) { $0.replacingOccurrences(of: "\"steps\":", with: "\"c\":") }
        XCTAssertThrowsError(try SafetensorsFile(path: url.path)) { XCTAssertTrue("\($0)".contains("tensor 'c' is listed twice"), "\($0)") }
    }

    /// Random byte mutations and truncations of a valid file: each load either succeeds with
    /// in-bounds tensors or throws a ModelFormatError.
    func testMutatedHeadersNeverCrash() throws {
        let url = Self.temp()
        try Self.write(Self.sample, to: url)
        let original = [UInt8](try Data(contentsOf: url))
        var rng = SplitMix(seed: 20261123)
        var failures = 0
        let jsonish = Array("0123456789[]{},:\"-.e".utf8)
        for trial in 0 ..< 3000 {
            var bytes = original
            if trial % 10 == 0 {
                bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count))))
            } else {
                for _ in 0 ..< 1 + Int(rng.next() % 4) {
                    let at = Int(rng.next() % UInt64(min(bytes.count, 8 + 400)))
                    bytes[at] = trial % 3 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : jsonish[Int(rng.next() % UInt64(jsonish.count))]
                }
            }
            let mutated = Self.temp()
            try Data(bytes).write(to: mutated)
            do {
                let file = try SafetensorsFile(path: mutated.path)
                for t in file.tensors.values {  // in bounds: reading every byte must not fault
                    let raw = UnsafeRawBufferPointer(start: t.data, count: t.byteCount)
                    _ = raw.reduce(0) { $0 &+ $1 }
                }
            } catch is ModelFormatError {
                failures += 1
            }
        }
        XCTAssertGreaterThan(failures, 1000)
    }

    func testShardedCheckpointFolder() throws {
        let dir = Self.temp("x").deletingLastPathComponent()
        try Self.write([Self.sample[0]], to: dir.appendingPathComponent("model-00001-of-00002.safetensors"))
        try Self.write([Self.sample[1], Self.sample[2]], to: dir.appendingPathComponent("model-00002-of-00002.safetensors"))
        try Data("{\"architectures\":[\"Qwen2ForCausalLM\"],\"model_type\":\"qwen2\"}".utf8).write(to: dir.appendingPathComponent("config.json"))
        let index = "{\"weight_map\":{\"a.weight\":\"model-00001-of-00002.safetensors\",\"b.bias\":\"model-00002-of-00002.safetensors\",\"c\":\"model-00002-of-00002.safetensors\"}}"
        try Data(index.utf8).write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        XCTAssertTrue(SafetensorsCheckpoint.isCheckpoint(dir.path))
        let checkpoint = try SafetensorsCheckpoint(folder: dir.path)
        XCTAssertEqual(checkpoint.architecture, "Qwen2ForCausalLM")
        XCTAssertEqual(checkpoint.tensorNames, ["a.weight", "b.bias", "c"])
        XCTAssertEqual(try checkpoint.tensor("c").shape, [1, 2])
        XCTAssertNil(checkpoint.generationConfig)

        // An index pointing outside the folder, and a tensor in two shards, are refused.
        try Data("{\"weight_map\":{\"a.weight\":\"../model-00001-of-00002.safetensors\"}}".utf8).write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        XCTAssertThrowsError(try SafetensorsCheckpoint(folder: dir.path)) { XCTAssertTrue("\($0)".contains("not a file name"), "\($0)") }
        try Self.write([Self.sample[0]], to: dir.appendingPathComponent("model-00002-of-00002.safetensors"))
        try Data(index.utf8).write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        XCTAssertThrowsError(try SafetensorsCheckpoint(folder: dir.path)) { XCTAssertTrue("\($0)".contains("in both"), "\($0)") }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("config.json"))
        XCTAssertFalse(SafetensorsCheckpoint.isCheckpoint(dir.path))
        XCTAssertThrowsError(try SafetensorsCheckpoint(folder: dir.path))
    }

    /// The file the real `safetensors` package wrote (the tiny Qwen2 fixture's shards).
    func testFilesWrittenByTheSafetensorsPackage() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tiny-qwen2")
        let checkpoint = try SafetensorsCheckpoint(folder: folder.path)
        XCTAssertEqual(checkpoint.files.count, 2)
        let embed = try checkpoint.tensor("model.embed_tokens.weight")
        XCTAssertEqual(embed.dtype, "BF16")
        XCTAssertEqual(embed.shape, [640, 64])
        XCTAssertNotNil(checkpoint.generationConfig)
    }
}
