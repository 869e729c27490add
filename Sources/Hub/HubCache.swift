import Foundation

/// The cache layout of `huggingface_hub`, so files pulled by Python tools are found here
/// and the other way round:
///
///     <root>/models--ORG--NAME/blobs/<etag>                    the bytes, named by ETag
///     <root>/models--ORG--NAME/blobs/<etag>.incomplete         a download in progress
///     <root>/models--ORG--NAME/snapshots/<commit>/<file>       relative symlink to the blob
///     <root>/models--ORG--NAME/refs/<revision>                 the commit a branch/tag was at
///     <root>/.locks/models--ORG--NAME/<etag>.lock              held while downloading
///
/// `root` is HF_HUB_CACHE, else HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
/// ~/.cache/huggingface/hub. Every name is validated (`HubNames`) before it reaches a path.
public struct HubCache: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> HubCache {
        if let hub = env["HF_HUB_CACHE"], !hub.isEmpty { return HubCache(root: URL(fileURLWithPath: expand(hub))) }
        let home = env["HF_HOME"].flatMap { $0.isEmpty ? nil : expand($0) }
            ?? ((env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory() + "/.cache") + "/huggingface")
        return HubCache(root: URL(fileURLWithPath: home).appendingPathComponent("hub"))
    }

    private static func expand(_ path: String) -> String { (path as NSString).expandingTildeInPath }

    static func folderName(repo: String) -> String {
        (["models"] + repo.split(separator: "/").map(String.init)).joined(separator: "--")
    }

    func storage(repo: String) -> URL { root.appendingPathComponent(HubCache.folderName(repo: repo)) }
    func blob(repo: String, etag: String) -> URL { storage(repo: repo).appendingPathComponent("blobs/\(etag)") }
    func snapshot(repo: String, commit: String) -> URL { storage(repo: repo).appendingPathComponent("snapshots/\(commit)") }
    func snapshotFile(repo: String, commit: String, file: String) -> URL { snapshot(repo: repo, commit: commit).appendingPathComponent(file) }
    func refFile(repo: String, revision: String) -> URL { storage(repo: repo).appendingPathComponent("refs/\(revision)") }
    func lockFile(repo: String, etag: String) -> URL { root.appendingPathComponent(".locks/\(HubCache.folderName(repo: repo))/\(etag).lock") }

    /// The commit a revision points at locally: itself when it is a snapshot's commit hash,
    /// else what `refs/<revision>` says.
    func commit(repo: String, revision: String) -> String? {
        if (try? HubNames.validateCommit(revision)) != nil,
           FileManager.default.fileExists(atPath: snapshot(repo: repo, commit: revision).path) {
            return revision
        }
        guard let data = FileManager.default.contents(atPath: refFile(repo: repo, revision: revision).path),
              let commit = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
              (try? HubNames.validateCommit(commit)) != nil else { return nil }
        return commit
    }

    /// The snapshot path of a file already in the cache (its link resolving to a blob).
    func cachedFile(repo: String, revision: String, file: String) -> URL? {
        guard let commit = commit(repo: repo, revision: revision) else { return nil }
        let url = snapshotFile(repo: repo, commit: commit, file: file)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil  // follows the link
    }

    /// Every file of a cached snapshot, as repo-relative paths.
    func cachedFiles(repo: String, revision: String) -> [String] {
        guard let commit = commit(repo: repo, revision: revision) else { return [] }
        let base = snapshot(repo: repo, commit: commit)
        guard let walker = FileManager.default.enumerator(atPath: base.path) else { return [] }
        return walker.compactMap { $0 as? String }
            .filter { FileManager.default.fileExists(atPath: base.appendingPathComponent($0).path) }
            .sorted()
    }

    func writeRef(repo: String, revision: String, commit: String) throws {
        guard revision != commit else { return }
        let url = refFile(repo: repo, revision: revision)
        try createDirectory(url.deletingLastPathComponent())
        do { try Data(commit.utf8).write(to: url, options: .atomic) } catch {
            throw HubError.io(path: url.path, message: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Points `snapshots/<commit>/<file>` at `blobs/<etag>` with a relative link, replaced
    /// atomically so a reader never sees a half-made link.
    func link(repo: String, commit: String, file: String, etag: String) throws -> URL {
        let pointer = snapshotFile(repo: repo, commit: commit, file: file)
        try createDirectory(pointer.deletingLastPathComponent())
        let depth = file.split(separator: "/").count  // snapshots/<commit>/<dirs…>/<file>
        let target = String(repeating: "../", count: depth + 1) + "blobs/\(etag)"
        let temporary = pointer.deletingLastPathComponent().appendingPathComponent(".\(pointer.lastPathComponent).\(getpid()).link")
        unlink(temporary.path)
        guard symlink(target, temporary.path) == 0, rename(temporary.path, pointer.path) == 0 else {
            let error = HubError.system(path: pointer.path, "cannot link to the blob: ")
            unlink(temporary.path)
            throw error
        }
        return pointer
    }

    func createDirectory(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw HubError.io(path: url.path, message: "cannot create the directory: \(error.localizedDescription)")
        }
    }
}
