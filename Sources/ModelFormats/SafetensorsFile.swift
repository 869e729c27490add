import Foundation
import JSON

/// One `.safetensors` file, mapped and used in place: an 8-byte little-endian header length,
/// a JSON header `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}`,
/// then the tensor bytes (offsets relative to the end of the header). Every number in the
/// header is checked — types, ranges, sizes against dtype × shape, overlaps — before any
/// tensor is exposed.
public final class SafetensorsFile: @unchecked Sendable {
    /// A tensor's bytes inside the mapping, row-major with `shape[0]` the outermost dimension.
    public struct Tensor: @unchecked Sendable {
        public let name: String
        public let dtype: String
        public let shape: [Int]
        /// (byteCount) bytes.
        public let data: UnsafeRawPointer
        public let byteCount: Int
        public var elementCount: Int { shape.reduce(1, *) }
    }

    /// Bytes per element of the dtypes safetensors defines.
    public static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
    ]
    static let maxHeaderBytes = 100 << 20

    public let path: String
    public let tensors: [String: Tensor]
    public let metadata: [String: String]
    private let file: MappedFile

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        let bytes = file.bytes
        func bad(_ reason: String) -> ModelFormatError { .badSafetensors(file: path, reason: reason) }
        guard bytes.count >= 8, let base = bytes.baseAddress else { throw bad("shorter than its 8-byte header length") }
        let length = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard length >= 2, length <= UInt64(min(bytes.count - 8, Self.maxHeaderBytes)) else {
            throw bad("header length \(length) does not fit the file's \(bytes.count) bytes (or exceeds 100 MiB)")
        }
        let headerEnd = 8 + Int(length)
        let header: JSON
        do {
            header = try JSONParser.parse(UnsafeRawBufferPointer(start: base + 8, count: Int(length)))
        } catch {
            throw bad("the header is not JSON (\(error))")
        }
        guard case .object(let object) = header else { throw bad("the header is not a JSON object") }
        let dataSize = bytes.count - headerEnd
        var tensors: [String: Tensor] = [:]
        var ranges: [(begin: Int, end: Int, name: String)] = []
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard case .object(let entries) = value else { throw bad("__metadata__ is not an object") }
                for (k, v) in entries {
                    guard let text = v.stringValue else { throw bad("__metadata__ value '\(k)' is not a string") }
                    metadata[k] = text
                }
                continue
            }
            guard tensors[name] == nil else { throw bad("tensor '\(name)' is listed twice") }
            let e = try Self.entry(name, value, dataSize: dataSize, bad: bad)
            ranges.append((e.begin, e.begin + e.byteCount, name))
            tensors[name] = Tensor(name: name, dtype: e.dtype, shape: e.shape, data: base + headerEnd + e.begin, byteCount: e.byteCount)
        }
        try ModelFormatError.checkNoOverlap(ranges)
        self.tensors = tensors
        self.metadata = metadata
    }

    /// One tensor's header entry, checked: a known dtype, a shape and data_offsets of
    /// integers, a byte span matching dtype × shape, inside the `dataSize` bytes after the header.
    private static func entry(_ name: String, _ value: JSON, dataSize: Int, bad: (String) -> ModelFormatError) throws
        -> (dtype: String, shape: [Int], begin: Int, byteCount: Int) {
        guard case .object = value else { throw bad("tensor '\(name)' is not an object") }
        guard let dtype = value["dtype"]?.stringValue, let size = Self.dtypeSizes[dtype] else {
            throw bad("tensor '\(name)' has no known dtype (\(value["dtype"]?.serialized ?? "none"))")
        }
        guard let shape = value["shape"]?.intArrayValue, shape.allSatisfy({ $0 >= 0 }), shape.count <= 8 else {
            throw bad("tensor '\(name)' has no valid shape (a list of at most 8 non-negative integers)")
        }
        guard let offsets = value["data_offsets"]?.intArrayValue, offsets.count == 2,
              offsets[0] >= 0, offsets[0] <= offsets[1] else {
            throw bad("tensor '\(name)' has no valid data_offsets [begin, end]")
        }
        var elements = 1
        for d in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw ModelFormatError.badDimensions(tensor: name, dims: shape.map { UInt64($0) }) }
            elements = product
        }
        let (byteCount, overflow) = elements.multipliedReportingOverflow(by: size)
        guard !overflow, byteCount == offsets[1] - offsets[0] else {
            let needed = overflow ? "too many" : "\(byteCount)"
            throw bad("tensor '\(name)' spans \(offsets[1] - offsets[0]) bytes, but \(dtype) \(shape) needs \(needed)")
        }
        guard offsets[1] <= dataSize else {
            throw ModelFormatError.tensorOutOfBounds(tensor: name, offset: UInt64(offsets[0]), size: UInt64(byteCount), available: UInt64(dataSize))
        }
        return (dtype, shape, offsets[0], byteCount)
    }

    public func tensor(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else { throw ModelFormatError.missingTensor(name) }
        return t
    }
}
