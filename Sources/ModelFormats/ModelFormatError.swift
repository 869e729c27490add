/// Everything that can be wrong with a model file, by phase. Every case names the problem
/// precisely enough for a user to act on it; none of them is ever a crash.
public enum ModelFormatError: Error, Equatable, CustomStringConvertible {
    // opening
    case cannotOpen(path: String, reason: String)
    // header
    case badMagic(found: UInt32)
    case unsupportedVersion(UInt32)
    case truncated(at: Int, need: Int, what: String)
    case absurdCount(what: String, count: UInt64)
    // metadata
    case invalidString(at: Int)
    case unknownValueType(key: String, type: UInt32)
    case nestingTooDeep(key: String)
    case duplicateKey(String)
    case badAlignment(UInt64)
    case wrongMetadataType(key: String, expected: String)
    case missingMetadata(String)
    // tensor table
    case duplicateTensor(String)
    case unknownTensorType(tensor: String, type: UInt32)
    case badDimensions(tensor: String, dims: [UInt64])
    case rowNotBlockAligned(tensor: String, ne0: UInt64, blockSize: Int)
    case misalignedTensor(tensor: String, offset: UInt64)
    case tensorOutOfBounds(tensor: String, offset: UInt64, size: UInt64, available: UInt64)
    case overlappingTensors(String, String)
    case missingTensor(String)
    case unexpectedShape(tensor: String, expected: [Int], found: [Int])
    // safetensors checkpoints
    case badSafetensors(file: String, reason: String)
    case badCheckpoint(folder: String, reason: String)
    case unsupportedDType(tensor: String, dtype: String)

    /// Throws `.overlappingTensors` if two of the byte ranges share a byte (empty ranges share none).
    static func checkNoOverlap(_ ranges: [(begin: Int, end: Int, name: String)]) throws {
        let sorted = ranges.filter { $0.end > $0.begin }.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.begin < a.end { throw overlappingTensors(a.name, b.name) }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "cannot open model file \(path): \(reason)"
        case .badMagic(let found): return "not a GGUF file (magic 0x\(String(found, radix: 16)))"
        case .unsupportedVersion(let v): return "unsupported GGUF version \(v) (2 and 3 are supported)"
        case .truncated(let at, let need, let what): return "file truncated: \(what) needs \(need) bytes at offset \(at)"
        case .absurdCount(let what, let count): return "implausible \(what): \(count)"
        case .invalidString(let at): return "metadata string at offset \(at) is not valid UTF-8"
        case .unknownValueType(let key, let type): return "metadata key '\(key)' has unknown value type \(type)"
        case .nestingTooDeep(let key): return "metadata key '\(key)' nests arrays too deeply"
        case .duplicateKey(let key): return "metadata key '\(key)' appears twice"
        case .badAlignment(let a): return "general.alignment \(a) is not a power of two"
        case .wrongMetadataType(let key, let expected): return "metadata key '\(key)' should be \(expected)"
        case .missingMetadata(let key): return "metadata key '\(key)' is missing"
        case .duplicateTensor(let name): return "tensor '\(name)' appears twice"
        case .unknownTensorType(let name, let type): return "tensor '\(name)' has unsupported type \(GGMLType.nameOf(raw: type))"
        case .badDimensions(let name, let dims): return "tensor '\(name)' has invalid dimensions \(dims)"
        case .rowNotBlockAligned(let name, let ne0, let bs): return "tensor '\(name)' row length \(ne0) is not a multiple of its block size \(bs)"
        case .misalignedTensor(let name, let offset): return "tensor '\(name)' data offset \(offset) is not aligned"
        case .tensorOutOfBounds(let name, let offset, let size, let available):
            return "tensor '\(name)' data [\(offset), +\(size)) exceeds the \(available) bytes of tensor data"
        case .overlappingTensors(let a, let b): return "tensors '\(a)' and '\(b)' overlap"
        case .missingTensor(let name): return "model file lacks tensor '\(name)'"
        case .unexpectedShape(let name, let expected, let found): return "tensor '\(name)' has shape \(found), expected \(expected)"
        case .badSafetensors(let file, let reason): return "\(file) is not a valid safetensors file: \(reason)"
        case .badCheckpoint(let folder, let reason): return "checkpoint \(folder): \(reason)"
        case .unsupportedDType(let name, let dtype): return "tensor '\(name)' has dtype \(dtype); Tern reads F32, F16 and BF16 weights"
        }
    }
}
