/// A GGUF model file (versions 2 and 3): metadata and a table of tensors whose data is used
/// in place through mmap. Parsing checks every count, offset and size against the file, so
/// a corrupt or hostile file produces a `ModelFormatError`, never an out-of-bounds read.
public final class GGUFFile: @unchecked Sendable {
    public static let magic: UInt32 = 0x4655_4747  // "GGUF" little-endian
    static let maxDims = 4
    static let maxNesting = 4

    /// Whatever owns the bytes (a `MappedFile`, or a test's buffer); kept alive with this object.
    public let storage: AnyObject
    public let bytes: UnsafeRawBufferPointer
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    /// Keys in file order (metadata is a dictionary; some tools care about order).
    public let metadataKeys: [String]
    public let tensors: [String: GGUFTensor]
    /// Tensor names in file order.
    public let tensorNames: [String]
    public let alignment: Int
    public let dataOffset: Int

    /// Releases the resident pages of bytes the caller no longer reads (see `MappedFile.release`);
    /// nothing for bytes a test's buffer owns.
    public func release(_ start: UnsafeRawPointer, count: Int) {
        (storage as? MappedFile)?.release(start, count: count)
    }

    /// Releases the resident pages of the header (metadata and tensor table, parsed into this
    /// object's values): nothing reads those bytes again unless asked.
    public func releaseHeader() {
        guard let base = (storage as? MappedFile)?.bytes.baseAddress else { return }
        release(base, count: dataOffset)
    }

    public convenience init(path: String) throws {
        let file = try MappedFile(path: path)
        try self.init(bytes: file.bytes, storage: file)
    }

    /// Parses GGUF bytes owned by `storage`, which must keep them alive and unchanged.
    public init(bytes: UnsafeRawBufferPointer, storage: AnyObject) throws {
        self.storage = storage
        self.bytes = bytes
        var r = ByteReader(bytes)
        let magic = try r.read(UInt32.self, "magic")
        guard magic == Self.magic else { throw ModelFormatError.badMagic(found: magic) }
        version = try r.read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw ModelFormatError.unsupportedVersion(version) }
        let tensorCount = try r.read(UInt64.self, "tensor count")
        let kvCount = try r.read(UInt64.self, "metadata count")
        // A key/value pair takes at least 12 bytes (8-byte key length, 4-byte type), a tensor
        // info at least 24: counts beyond what the file can hold are rejected before allocating.
        guard kvCount <= UInt64(r.remaining / 12) else { throw ModelFormatError.absurdCount(what: "metadata count", count: kvCount) }
        guard tensorCount <= UInt64(r.remaining / 24) else { throw ModelFormatError.absurdCount(what: "tensor count", count: tensorCount) }

        (metadata, metadataKeys) = try Self.readMetadata(&r, count: Int(kvCount))
        alignment = try Self.alignment(of: metadata)
        let infos = try Self.readTensorInfos(&r, count: Int(tensorCount))
        dataOffset = (r.offset + alignment - 1) / alignment * alignment
        guard dataOffset <= bytes.count else {
            throw ModelFormatError.truncated(at: r.offset, need: dataOffset - r.offset, what: "padding before tensor data")
        }
        (tensors, tensorNames) = try Self.placeTensors(infos, in: bytes, dataOffset: dataOffset, alignment: alignment)
    }

    /// The key/value pairs, and their keys in file order.
    private static func readMetadata(_ r: inout ByteReader, count: Int) throws -> ([String: GGUFValue], [String]) {
        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        for _ in 0 ..< count {
            let key = try r.readString("metadata key")
            let type = try r.read(UInt32.self, "value type of \(key)")
            let value = try readValue(&r, type: type, key: key, depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else { throw ModelFormatError.duplicateKey(key) }
            keys.append(key)
        }
        return (metadata, keys)
    }

    /// `general.alignment` (a power of two up to 1 MiB), 32 when absent.
    private static func alignment(of metadata: [String: GGUFValue]) throws -> Int {
        guard let a = metadata["general.alignment"] else { return 32 }
        guard let v = a.int, v > 0, v & (v - 1) == 0, v <= 1 << 20 else {
            throw ModelFormatError.badAlignment(UInt64(clamping: a.int ?? 0))
        }
        return v
    }

    /// One entry of the tensor table as written, before any checks against the data.
    private struct TensorInfo { let name: String; let dims: [UInt64]; let type: UInt32; let offset: UInt64 }

    private static func readTensorInfos(_ r: inout ByteReader, count: Int) throws -> [TensorInfo] {
        var infos: [TensorInfo] = []
        infos.reserveCapacity(count)
        for _ in 0 ..< count {
            let name = try r.readString("tensor name")
            let nDims = try r.read(UInt32.self, "dimension count of \(name)")
            guard nDims >= 1, nDims <= UInt32(maxDims) else { throw ModelFormatError.badDimensions(tensor: name, dims: []) }
            let dims = try (0 ..< Int(nDims)).map { _ in try r.read(UInt64.self, "dimensions of \(name)") }
            let type = try r.read(UInt32.self, "type of \(name)")
            let offset = try r.read(UInt64.self, "data offset of \(name)")
            infos.append(TensorInfo(name: name, dims: dims, type: type, offset: offset))
        }
        return infos
    }

    /// The tensors (and their names in file order), each checked to lie aligned inside the
    /// tensor data that starts at `dataOffset`, no two sharing bytes.
    private static func placeTensors(_ infos: [TensorInfo], in bytes: UnsafeRawBufferPointer, dataOffset: Int,
                                     alignment: Int) throws -> ([String: GGUFTensor], [String]) {
        let available = UInt64(bytes.count - dataOffset)
        var tensors: [String: GGUFTensor] = [:]
        var names: [String] = []
        for info in infos {
            guard let type = GGMLType(rawValue: info.type) else {
                throw ModelFormatError.unknownTensorType(tensor: info.name, type: info.type)
            }
            // Every dimension positive and the element count far below anything addressable.
            var count: UInt64 = 1
            for d in info.dims {
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard d > 0, !overflow, p <= 1 << 40 else { throw ModelFormatError.badDimensions(tensor: info.name, dims: info.dims) }
                count = p
            }
            guard info.dims[0] % UInt64(type.blockSize) == 0 else {
                throw ModelFormatError.rowNotBlockAligned(tensor: info.name, ne0: info.dims[0], blockSize: type.blockSize)
            }
            let size = count / UInt64(type.blockSize) * UInt64(type.bytesPerBlock)
            guard info.offset % UInt64(alignment) == 0 else { throw ModelFormatError.misalignedTensor(tensor: info.name, offset: info.offset) }
            guard info.offset <= available, size <= available - info.offset else {
                throw ModelFormatError.tensorOutOfBounds(tensor: info.name, offset: info.offset, size: size, available: available)
            }
            guard let base = bytes.baseAddress else { throw ModelFormatError.truncated(at: 0, need: 1, what: "tensor data") }
            let t = GGUFTensor(name: info.name, type: type, shape: info.dims.map { Int($0) },
                               fileOffset: dataOffset + Int(info.offset), byteCount: Int(size),
                               data: base + dataOffset + Int(info.offset))
            guard tensors.updateValue(t, forKey: info.name) == nil else { throw ModelFormatError.duplicateTensor(info.name) }
            names.append(info.name)
        }
        try ModelFormatError.checkNoOverlap(tensors.values.map { ($0.fileOffset, $0.fileOffset + $0.byteCount, $0.name) })
        return (tensors, names)
    }

    /// The tensor called `name`, or `.missingTensor`.
    public func tensor(_ name: String) throws -> GGUFTensor {
        guard let t = tensors[name] else { throw ModelFormatError.missingTensor(name) }
        return t
    }

    // MARK: typed metadata access

    public func int(_ key: String) throws -> Int { try value(key, \.int, "an integer") }
    public func string(_ key: String) throws -> String { try value(key, \.string, "a string") }

    private func value<T>(_ key: String, _ read: (GGUFValue) -> T?, _ expected: String) throws -> T {
        guard let v = metadata[key] else { throw ModelFormatError.missingMetadata(key) }
        guard let t = read(v) else { throw ModelFormatError.wrongMetadataType(key: key, expected: expected) }
        return t
    }

    // MARK: value parsing

    static func readValue(_ r: inout ByteReader, type: UInt32, key: String, depth: Int) throws -> GGUFValue {
        switch type {
        case 0: return .uint8(try r.read(UInt8.self, key))
        case 1: return .int8(try r.read(Int8.self, key))
        case 2: return .uint16(try r.read(UInt16.self, key))
        case 3: return .int16(try r.read(Int16.self, key))
        case 4: return .uint32(try r.read(UInt32.self, key))
        case 5: return .int32(try r.read(Int32.self, key))
        case 6: return .float32(try r.readFloat(key))
        case 7: return .bool(try r.read(UInt8.self, key) != 0)
        case 8: return .string(try r.readString(key))
        case 9: return .array(try readArray(&r, key: key, depth: depth))
        case 10: return .uint64(try r.read(UInt64.self, key))
        case 11: return .int64(try r.read(Int64.self, key))
        case 12: return .float64(try r.readDouble(key))
        default: throw ModelFormatError.unknownValueType(key: key, type: type)
        }
    }

    static func readArray(_ r: inout ByteReader, key: String, depth: Int) throws -> GGUFArray {
        guard depth < maxNesting else { throw ModelFormatError.nestingTooDeep(key: key) }
        let elementType = try r.read(UInt32.self, "array type of \(key)")
        let count64 = try r.read(UInt64.self, "array length of \(key)")
        // Smallest encoding of one element: 1 byte for 8-bit types and bools, 8 for a string's
        // length, 12 for a nested array's header.
        let minSize: UInt64 = [0: 1, 1: 1, 7: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 8: 8, 9: 12, 10: 8, 11: 8, 12: 8][elementType] ?? 1
        guard count64 <= UInt64(r.remaining) / minSize else { throw ModelFormatError.absurdCount(what: "length of array \(key)", count: count64) }
        let n = Int(count64)
        func many<T>(_ f: (inout ByteReader) throws -> T) throws -> [T] {
            var a: [T] = []
            a.reserveCapacity(n)
            for _ in 0 ..< n { a.append(try f(&r)) }
            return a
        }
        switch elementType {
        case 0: return .uint8(try many { try $0.read(UInt8.self, key) })
        case 1: return .int8(try many { try $0.read(Int8.self, key) })
        case 2: return .uint16(try many { try $0.read(UInt16.self, key) })
        case 3: return .int16(try many { try $0.read(Int16.self, key) })
        case 4: return .uint32(try many { try $0.read(UInt32.self, key) })
        case 5: return .int32(try many { try $0.read(Int32.self, key) })
        case 6: return .float32(try many { try $0.readFloat(key) })
        case 7: return .bool(try many { try $0.read(UInt8.self, key) != 0 })
        case 8: return .string(try many { try $0.readString(key) })
        case 9: return .array(try many { try readArray(&$0, key: key, depth: depth + 1) })
        case 10: return .uint64(try many { try $0.read(UInt64.self, key) })
        case 11: return .int64(try many { try $0.read(Int64.self, key) })
        case 12: return .float64(try many { try $0.readDouble(key) })
        default: throw ModelFormatError.unknownValueType(key: key, type: elementType)
        }
    }
}
