import ArgumentParser
import Foundation
import Hub

/// `tern pull`: download a model file from the Hugging Face hub (or HF_ENDPOINT) into the
/// huggingface_hub cache and print its path.
struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download a model file from the Hugging Face hub into the shared cache.",
        discussion: """
            Environment: HF_ENDPOINT (a mirror), HF_TOKEN (gated or private repos), HF_HOME / HF_HUB_CACHE \
            (the cache, shared with huggingface_hub), HF_HUB_OFFLINE=1 (use the cache only).
            Prints the local path of the file on standard output.
            """)

    @Argument(help: "The repo, ORG/NAME or ORG/NAME:QUANT.") var repo: String
    @Option(help: "The file to download (default: the GGUF by quantization, else the safetensors checkpoint).") var file: String?
    @Option(help: "The GGUF quantization to pick, e.g. Q4_K_M (default: the only GGUF, else Q4_K_M).") var quant: String?
    @Option(help: "Branch, tag or commit.") var revision = "main"

    func run() throws {
        let reference = try ModelReference(repo)
        guard case .hub(let repo, let tagQuant) = reference else {
            throw ValidationError("'\(repo)' is not a hub repo id (ORG/NAME[:QUANT])")
        }
        guard file == nil || (quant == nil && tagQuant == nil) else {
            throw ValidationError("give either --file or a quantization, not both")
        }
        let path = try ModelReference.withHub { hub in
            if let file { return try hub.pull(repo: repo, file: file, revision: revision) }
            return try hub.pullModel(repo: repo, quant: quant ?? tagQuant, revision: revision)
        }
        print(path.path)
    }
}

/// What `--model` names: a local file, or a hub repo with an optional quantization tag.
enum ModelReference {
    case file(String)
    case hub(repo: String, quant: String?)

    init(_ text: String) throws {
        if FileManager.default.fileExists(atPath: text) || text.hasPrefix("/") || text.hasPrefix(".") || text.hasPrefix("~") || text.hasSuffix(".gguf") {
            self = .file(text)
            return
        }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard text.contains("/"), (try? HubNames.validateRepo(parts[0])) != nil else {
            throw ValidationError("--model '\(text)': no such file, and not a hub repo id (ORG/NAME[:QUANT])")
        }
        self = .hub(repo: parts[0], quant: parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil)
    }

    /// The local path: the file or folder itself, or the hub model (its GGUF, else its
    /// safetensors checkpoint folder) pulled into the cache if missing.
    func localPath() throws -> String {
        switch self {
        case .file(let path): return path
        case .hub(let repo, let quant): return try ModelReference.withHub { try $0.pullModel(repo: repo, quant: quant) }.path
        }
    }

    /// Runs `body` with a hub client configured from the environment; a hub error is
    /// printed as one line and exits 1.
    static func withHub(_ body: (HubClient) throws -> URL) throws -> URL {
        do {
            return try body(HubClient(settings: .fromEnvironment()))
        } catch let error as HubError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
