import Foundation
import TestSupport
import XCTest
import ModelFormats

/// Mutates the header and tensor table of the real SmolLM2 file thousands of times (bit
/// flips, overwritten counts, truncations) and requires every case to end in a typed error
/// or a successful, bounds-respecting load: no crash, no hang.
final class GGUFFuzzTests: XCTestCase {
    func testMutatedRealHeadersNeverCrash() throws {
        let path = try requiredModel("SmolLM2-135M-Instruct.Q4_1.gguf")
        let original = try GGUFFile(path: path)
        let headerEnd = original.dataOffset
        let box = ByteBox(Array(original.bytes))
        // The tensor table, where offsets and dimensions live, gets half of the mutations.
        let tableStart = headerEnd - original.tensorNames.reduce(0) { $0 + 8 + $1.utf8.count + 4 + 8 * 4 + 4 + 8 } - 64
        var rng = SplitMix(seed: 0x7E4E)
        var outcomes: [String: Int] = [:]
        let iterations = Int(ProcessInfo.processInfo.environment["TERN_FUZZ_ITERATIONS"] ?? "") ?? 2000
        for i in 0 ..< iterations {
            var undo: [(Int, UInt8)] = []
            func set(_ at: Int, _ v: UInt8) { undo.append((at, box.pointer[at])); box.pointer[at] = v }
            let region = i % 2 == 0 ? 0 ..< headerEnd : max(0, tableStart) ..< headerEnd
            var length = box.count
            switch rng.next() % 4 {
            case 0:  // flip a few bits
                for _ in 0 ..< 1 + rng.next() % 4 { let at = region.lowerBound + Int(rng.next() % UInt64(region.count)); set(at, box.pointer[at] ^ (1 << UInt8(rng.next() % 8))) }
            case 1:  // overwrite 8 bytes with a huge or boundary value
                let at = region.lowerBound + Int(rng.next() % UInt64(region.count - 8))
                let v: UInt64 = [UInt64.max, UInt64(Int64.max), 1 << 32, 0, UInt64(box.count), 0xFFFF_FFFF][Int(rng.next() % 6)]
                for b in 0 ..< 8 { set(at + b, UInt8(truncatingIfNeeded: v >> (8 * UInt64(b)))) }
            case 2:  // truncate anywhere in the header or data
                length = Int(rng.next() % UInt64(box.count))
            default:  // random bytes over a short span
                let at = region.lowerBound + Int(rng.next() % UInt64(region.count - 16))
                for b in 0 ..< 16 { set(at + b, UInt8(truncatingIfNeeded: rng.next())) }
            }
            let view = UnsafeRawBufferPointer(rebasing: box.pointer[0 ..< length])
            do {
                let f = try GGUFFile(bytes: view, storage: box)
                // A successful load must only describe bytes inside the buffer.
                for t in f.tensors.values { XCTAssertLessThanOrEqual(t.fileOffset + t.byteCount, length) }
                outcomes["loaded", default: 0] += 1
            } catch let e as ModelFormatError {
                outcomes[String("\(e)".prefix(while: { $0 != " " })), default: 0] += 1
            } catch {
                XCTFail("untyped error \(error)")
            }
            for (at, v) in undo.reversed() { box.pointer[at] = v }
        }
        XCTAssertGreaterThan(outcomes.count, 3, "mutations should hit several kinds of error: \(outcomes)")
        print("GGUF fuzz outcomes over \(iterations) mutations: \(outcomes.sorted { $0.value > $1.value })")
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
