import Foundation
import Hub

/// What `--model` names: a local file or checkpoint folder, or a hub repo with an optional
/// quantization tag (`ORG/NAME[:QUANT]`).
public enum ModelReference: Equatable, Sendable {
    case file(String)
    case hub(repo: String, quant: String?)

    public init(_ text: String) throws {
        if FileManager.default.fileExists(atPath: text) || text.hasPrefix("/") || text.hasPrefix(".") || text.hasPrefix("~") || text.hasSuffix(".gguf") {
            self = .file(text)
            return
        }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard text.contains("/"), let repo = parts.first, (try? HubNames.validateRepo(repo)) != nil else {
            throw LoaderError.badReference(text)
        }
        self = .hub(repo: repo, quant: parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil)
    }

    /// The local path: the file or folder itself, or the hub model (its GGUF, else its
    /// safetensors checkpoint folder) pulled into the cache if missing.
    public func localPath() throws -> String {
        switch self {
        case .file(let path): return path
        case .hub(let repo, let quant): return try HubClient(settings: .fromEnvironment()).pullModel(repo: repo, quant: quant).path
        }
    }

    /// The model id clients use by default: the file name without its extension, or the
    /// repo id as given (as vLLM names a hub model).
    public func servedName(as given: String) -> String {
        switch self {
        case .file(let path): return URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        case .hub: return given
        }
    }
}
