import Foundation
import ModelFormats

/// Test helper: serializes metadata and tensors into GGUF bytes (v2 or v3), so tests can
/// build files with exactly the features or defects they need.
struct GGUFWriter {
    var version: UInt32 = 3
    var alignment = 32
    var metadata: [(String, GGUFValue)] = []
    var tensors: [(name: String, type: UInt32, dims: [UInt64], data: [UInt8])] = []

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); out.append(contentsOf: s.utf8) }
        func typeCode(_ v: GGUFValue) -> UInt32 {
            switch v {
            case .uint8: return 0; case .int8: return 1; case .uint16: return 2; case .int16: return 3
            case .uint32: return 4; case .int32: return 5; case .float32: return 6; case .bool: return 7
            case .string: return 8; case .array: return 9; case .uint64: return 10; case .int64: return 11
            case .float64: return 12
            }
        }
        func arrayCode(_ a: GGUFArray) -> UInt32 {
            switch a {
            case .uint8: return 0; case .int8: return 1; case .uint16: return 2; case .int16: return 3
            case .uint32: return 4; case .int32: return 5; case .float32: return 6; case .bool: return 7
            case .string: return 8; case .array: return 9; case .uint64: return 10; case .int64: return 11
            case .float64: return 12
            }
        }
        func raw<T>(_ v: T) { withUnsafeBytes(of: v) { out.append(contentsOf: $0) } }
        func value(_ v: GGUFValue) {
            switch v {
            case .uint8(let x): raw(x); case .int8(let x): raw(x); case .uint16(let x): raw(x); case .int16(let x): raw(x)
            case .uint32(let x): raw(x); case .int32(let x): raw(x); case .float32(let x): raw(x); case .bool(let x): raw(UInt8(x ? 1 : 0))
            case .string(let s): str(s); case .uint64(let x): raw(x); case .int64(let x): raw(x); case .float64(let x): raw(x)
            case .array(let a): array(a)
            }
        }
        func array(_ a: GGUFArray) {
            u32(arrayCode(a))
            u64(UInt64(a.count))
            switch a {
            case .uint8(let xs): xs.forEach { raw($0) }; case .int8(let xs): xs.forEach { raw($0) }
            case .uint16(let xs): xs.forEach { raw($0) }; case .int16(let xs): xs.forEach { raw($0) }
            case .uint32(let xs): xs.forEach { raw($0) }; case .int32(let xs): xs.forEach { raw($0) }
            case .uint64(let xs): xs.forEach { raw($0) }; case .int64(let xs): xs.forEach { raw($0) }
            case .float32(let xs): xs.forEach { raw($0) }; case .float64(let xs): xs.forEach { raw($0) }
            case .bool(let xs): xs.forEach { raw(UInt8($0 ? 1 : 0)) }; case .string(let xs): xs.forEach { str($0) }
            case .array(let xs): xs.forEach { array($0) }
            }
        }
        u32(GGUFFile.magic)
        u32(version)
        u64(UInt64(tensors.count))
        u64(UInt64(metadata.count))
        for (k, v) in metadata { str(k); u32(typeCode(v)); value(v) }
        var offset: UInt64 = 0
        var offsets: [UInt64] = []
        for t in tensors {
            offsets.append(offset)
            offset += UInt64(t.data.count)
            offset = (offset + UInt64(alignment) - 1) / UInt64(alignment) * UInt64(alignment)
        }
        for (t, off) in zip(tensors, offsets) {
            str(t.name); u32(UInt32(t.dims.count)); t.dims.forEach { u64($0) }; u32(t.type); u64(off)
        }
        while out.count % alignment != 0 { out.append(0) }
        let dataStart = out.count
        for (t, off) in zip(tensors, offsets) {
            while out.count < dataStart + Int(off) { out.append(0) }
            out.append(contentsOf: t.data)
        }
        return out
    }
}

/// Owns a byte buffer for `GGUFFile(bytes:storage:)`.
final class ByteBox {
    let pointer: UnsafeMutableRawBufferPointer
    init(_ bytes: [UInt8]) {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 64)
        bytes.withUnsafeBytes { p.copyMemory(from: $0) }
        pointer = p
        count = bytes.count
    }
    let count: Int
    var view: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: pointer[0 ..< count]) }
    deinit { pointer.deallocate() }
}

func parse(_ bytes: [UInt8]) throws -> GGUFFile {
    let box = ByteBox(bytes)
    return try GGUFFile(bytes: box.view, storage: box)
}
