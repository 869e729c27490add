import Foundation
import JSON
import ModelFormats

/// A short, stable name for the bytes a model computes from, so that `system_fingerprint` can
/// tell two files apart: FNV-1a (64 bits) over a GGUF file's header (metadata, tokenizer,
/// tensor names, types and shapes) or a checkpoint's config.json and tensor names, dtypes and
/// shapes, plus three 256-byte samples (start, middle, end) of every tensor's data. Reads a few
/// hundred bytes per tensor, so it costs nothing at load; it is an identity, not a checksum (a
/// file altered only between the samples keeps its name).
struct ModelDigest {
    private var hash: UInt64 = 0xCBF2_9CE4_8422_2325

    private mutating func add(_ bytes: UnsafeRawBufferPointer) {
        for b in bytes {
            hash ^= UInt64(b)
            hash = hash &* 0x0000_0100_0000_01B3
        }
    }

    private mutating func add(_ text: String) {
        var t = text + "\u{0}"
        t.withUTF8 { add(UnsafeRawBufferPointer($0)) }
    }

    /// Name, type, shape and the three samples of one tensor's `count` bytes at `data`.
    private mutating func addTensor(name: String, type: String, shape: [Int], data: UnsafeRawPointer, count: Int) {
        add("\(name) \(type) \(shape)")
        let sample = 256
        for at in [0, count / 2, count - sample] where count > 0 {
            let from = min(max(0, at), count), n = min(sample, count - from)
            add(UnsafeRawBufferPointer(start: data + from, count: n))
        }
    }

    /// 12 hex digits of the hash.
    private var hex: String { String(String(format: "%016llx", hash).prefix(12)) }

    static func of(_ file: GGUFFile) -> String {
        var d = ModelDigest()
        d.add(UnsafeRawBufferPointer(rebasing: file.bytes[0 ..< min(file.dataOffset, file.bytes.count)]))
        for name in file.tensorNames {
            guard let t = file.tensors[name] else { continue }
            d.addTensor(name: name, type: "\(t.type)", shape: t.shape, data: t.data, count: t.byteCount)
        }
        return d.hex
    }

    static func of(_ checkpoint: SafetensorsCheckpoint) -> String {
        var d = ModelDigest()
        d.add(checkpoint.config.serialized)
        for file in checkpoint.files {
            for name in file.tensors.keys.sorted() {
                guard let t = file.tensors[name] else { continue }
                d.addTensor(name: name, type: t.dtype, shape: t.shape, data: t.data, count: t.byteCount)
            }
        }
        return d.hex
    }
}
