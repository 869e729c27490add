import ArgumentParser
import Foundation
import Hub
import Loader

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
        let reference: ModelReference
        do { reference = try ModelReference(repo) } catch { throw ValidationError("\(error)") }
        guard case .hub(let repo, let tagQuant) = reference else {
            throw ValidationError("'\(repo)' is not a hub repo id (ORG/NAME[:QUANT])")
        }
        guard file == nil || (quant == nil && tagQuant == nil) else {
            throw ValidationError("give either --file or a quantization, not both")
        }
        do {
            let hub = try HubClient(settings: .fromEnvironment())
            let path = try file.map { try hub.pull(repo: repo, file: $0, revision: revision) }
                ?? hub.pullModel(repo: repo, quant: quant ?? tagQuant, revision: revision)
            print(path.path)
        } catch let error as HubError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
