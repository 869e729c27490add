import Foundation

extension HubClient {
    /// The files of a Hugging Face checkpoint Tern reads, when a repo has them.
    static let checkpointFiles = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                                  "chat_template.jinja", "model.safetensors", "model.safetensors.index.json"]

    /// A model repo made usable: its GGUF (by `quant`, as `pull` picks it) when it has any,
    /// else its safetensors checkpoint — config, tokenizer files and every weight shard —
    /// whose snapshot folder is returned.
    public func pullModel(repo: String, quant: String? = nil, revision: String = "main") throws -> URL {
        try HubNames.validateRepo(repo)
        try HubNames.validateRevision(revision)
        // Offline, or when the hub cannot be reached, the cached snapshot's files stand in.
        var files = settings.cache.cachedFiles(repo: repo, revision: revision)
        if !settings.offline {
            do { files = try listFiles(repo: repo, revision: revision) } catch let error as HubError where error.isTransient && !files.isEmpty {}
        }
        let isCheckpoint = files.contains("config.json") && files.contains { $0.hasSuffix(".safetensors") }
        if quant != nil || files.contains(where: { $0.lowercased().hasSuffix(".gguf") }) || !isCheckpoint {
            return try pull(repo: repo, quant: quant, revision: revision)
        }
        // Top-level shards only: sub-folders of a repo hold other variants (onnx/, original/, …).
        let wanted = files.filter { HubClient.checkpointFiles.contains($0) || ($0.hasSuffix(".safetensors") && !$0.contains("/")) }
        var folder: URL?
        for file in wanted.sorted() {
            folder = try pull(repo: repo, file: file, revision: revision).deletingLastPathComponent()
        }
        guard let folder else { throw HubError.noMatchingFile(repo: repo, asked: nil, available: files) }
        return folder
    }
}
