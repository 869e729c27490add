import Foundation

extension HubClient {
    /// Makes `file` of `repo` at `revision` (or the GGUF of quantization `quant`) present in
    /// the cache and returns its snapshot path. A file already there, pulled by Tern or by
    /// `huggingface_hub`, is reused; with HF_HUB_OFFLINE=1 only the cache is consulted; when
    /// the hub cannot be reached, a cached copy is used with a warning.
    public func pull(repo: String, file: String? = nil, quant: String? = nil, revision: String = "main") throws -> URL {
        try HubNames.validateRepo(repo)
        try HubNames.validateRevision(revision)
        if let file { try HubNames.validateFile(file) }
        bytesTransferred = 0
        let cache = settings.cache
        func fromCache(_ reason: HubError?) throws -> URL {
            let name: String
            do { name = try file ?? QuantSelector.pick(repo: repo, files: cache.cachedFiles(repo: repo, revision: revision), quant: quant) } catch {
                throw reason ?? error
            }
            guard let url = cache.cachedFile(repo: repo, revision: revision, file: name) else {
                throw reason ?? HubError.notCached(repo: repo, revision: revision, file: name)
            }
            if let reason { FileHandle.standardError.write(Data("warning: \(reason); using the cached \(url.path)\n".utf8)) }
            return url
        }
        if settings.offline {
            do { return try fromCache(nil) } catch HubError.noMatchingFile {
                throw HubError.notCached(repo: repo, revision: revision, file: file ?? quant.map { "the \($0) GGUF" })
            }
        }
        // With a cached copy to fall back on, an unreachable hub is not worth waiting for.
        let attempts = (try? fromCache(nil)) != nil ? 1 : nil
        let name: String, meta: FileMetadata
        do {
            name = try file ?? QuantSelector.pick(repo: repo, files: listFiles(repo: repo, revision: revision, attempts: attempts), quant: quant)
            meta = try metadata(repo: repo, revision: revision, file: name, attempts: attempts)
        } catch let error as HubError where error.isTransient {
            return try fromCache(error)
        }
        try cache.writeRef(repo: repo, revision: revision, commit: meta.commit)
        let pointer = cache.snapshotFile(repo: repo, commit: meta.commit, file: name)
        if FileManager.default.fileExists(atPath: pointer.path) { return pointer }
        try download(repo: repo, file: name, meta: meta)
        return try cache.link(repo: repo, commit: meta.commit, file: name, etag: meta.etag)
    }

    /// Brings `blobs/<etag>` into being: under the same lock file huggingface_hub takes,
    /// resuming `blobs/<etag>.incomplete`, checking size and SHA-256 before the rename that
    /// makes it visible. A failed check deletes the partial file.
    func download(repo: String, file: String, meta: FileMetadata) throws {
        let cache = settings.cache
        let blob = cache.blob(repo: repo, etag: meta.etag)
        let partial = blob.path + ".incomplete"
        try cache.createDirectory(blob.deletingLastPathComponent())
        let lockURL = cache.lockFile(repo: repo, etag: meta.etag)
        try cache.createDirectory(lockURL.deletingLastPathComponent())
        let lock = open(lockURL.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw HubError.system(path: lockURL.path) }
        defer { close(lock) }  // releases the flock
        guard flock(lock, LOCK_EX) == 0 else { throw HubError.system(path: lockURL.path) }
        if FileManager.default.fileExists(atPath: blob.path) { return }  // another process finished it

        let digest = try withRetries("downloading \(file)") {
            try fetch(url: meta.location, into: partial, repo: repo, file: file, size: meta.size, hashing: meta.sha256 != nil)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int64) ?? -1
        if let expected = meta.size, size != expected {
            unlink(partial)
            throw HubError.sizeMismatch(file: file, expected: expected, actual: size)
        }
        if let expected = meta.sha256, let digest, digest != expected {
            unlink(partial)
            throw HubError.checksumMismatch(file: file, expected: expected, actual: digest)
        }
        guard rename(partial, blob.path) == 0 else { throw HubError.system(path: blob.path, "cannot move the download into place: ") }
    }

    /// One attempt: GET from where the partial file ends, following every redirect (the
    /// token only to the hub), appending to the partial file. Returns the SHA-256 of the
    /// whole file when `hashing`.
    private func fetch(url start: String, into path: String, repo: String, file: String, size: Int64?, hashing: Bool) throws -> String? {
        let writer = try BlobWriter(path: path, size: size, hashing: hashing)
        progress.begin(file: file, total: size, resumedFrom: writer.start)
        if writer.start != size {  // else it is already whole
            var url = start
            let response: HubTransfer.Response
            do {
                response = try send(.get, &url, rangeFrom: writer.start) { response, bytes in
                    if response.status == 200 && writer.start > 0 { try writer.restart() }  // the server ignored Range: start over
                    try writer.append(bytes)
                    self.bytesTransferred += Int64(bytes.count)
                    self.progress.advance(by: bytes.count)
                }
            } catch {
                try? writer.flush()  // keep what arrived before the failure: the next attempt resumes after it
                throw error
            }
            // 416 to a range that starts at the end: already whole; else our partial file is not a prefix of theirs.
            guard (200..<300).contains(response.status) || (response.status == 416 && writer.start == size) else {
                if response.status == 416 { try? writer.restart() }
                throw failure(response, repo: repo, revision: "", file: file)
            }
        }
        let digest = try writer.digest()
        progress.end()
        return digest
    }
}
