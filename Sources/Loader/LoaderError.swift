import Kernels

/// Why a model reference cannot become a ready engine.
public enum LoaderError: Error, CustomStringConvertible, Equatable {
    case badReference(String)
    case badOption(String)
    case kvPoolTooSmall(bytesPerBlock: Int)
    case kvPoolTooLarge(bytes: Int, physicalMemory: Int)
    case kvCacheDTypeUnsupported(KVCacheDType, headDim: Int)
    /// A perplexity text too short for two chunks, a context size that does not fit the model.
    case perplexity(String)
    /// A `--kl-divergence-base` file that cannot be read, or that belongs to another text or model.
    case badLogitsFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .badReference(let text): return "--model '\(text)': no such file, and not a hub repo id (ORG/NAME[:QUANT])"
        case .badOption(let message): return message
        case .kvPoolTooSmall(let bytes): return "kv_cache_memory is smaller than one block (\(bytes) bytes)"
        case .kvPoolTooLarge(let bytes, let memory):
            return "kv_cache_memory \(bytes) bytes is more than this machine's memory (\(memory) bytes)"
        case .kvCacheDTypeUnsupported(let dtype, let headDim):
            return "--kv-cache-dtype \(dtype) needs a head width that is a multiple of 32; this model's is \(headDim)"
        case .perplexity(let message): return message
        case .badLogitsFile(let path, let reason): return "\(path): \(reason)"
        }
    }
}
