import Foundation
import JSON

/// Talks to a hub (huggingface.co or an `HF_ENDPOINT` mirror): file listings, file metadata
/// from `HEAD …/resolve/…`, and GETs that follow redirects. The token goes only to the
/// hub's own origin, never to the CDN a redirect points at. Transient failures are retried
/// with exponential backoff.
public final class HubClient {
    public let settings: HubSettings
    let progress: HubProgress
    let transfer: HubTransfer
    /// Body bytes received by the last `pull` (what a resumed download saves shows here).
    public internal(set) var bytesTransferred: Int64 = 0

    public init(settings: HubSettings, progress: HubProgress = .automatic(), stallTimeout: Int = 30) throws {
        self.settings = settings
        self.progress = progress
        self.transfer = try HubTransfer(stallTimeout: stallTimeout)
    }

    /// What `HEAD {endpoint}/{repo}/resolve/{revision}/{file}` says about a file.
    public struct FileMetadata: Sendable {
        public var commit: String
        public var etag: String
        public var size: Int64?
        /// Where the bytes are: the CDN URL of a redirect, or the resolve URL itself.
        public var location: String
        /// The SHA-256 to check: LFS files are named by it.
        public var sha256: String?
    }

    // MARK: URLs

    public func resolveURL(repo: String, revision: String, file: String) -> String {
        "\(settings.endpoint)/\(repo)/resolve/\(HubClient.encode(revision, keepSlash: false))/\(HubClient.encode(file, keepSlash: true))"
    }

    static func encode(_ text: String, keepSlash: Bool) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~" + (keepSlash ? "/" : ""))
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// (scheme, host, port) with the scheme's default port.
    static func origin(_ url: String) -> String? {
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), let host = c.host?.lowercased() else { return nil }
        return "\(scheme)://\(host):\(c.port ?? (scheme == "https" ? 443 : 80))"
    }

    func isHub(_ url: String) -> Bool {
        HubClient.origin(url).map { $0 == HubClient.origin(settings.endpoint) } ?? false
    }

    public func headers(for url: String) -> [String] {
        var headers = ["Accept-Encoding: identity"]
        if let token = settings.token, isHub(url) { headers.append("Authorization: Bearer \(token)") }
        return headers
    }

    static func redirectTarget(_ response: HubTransfer.Response) -> String? {
        guard (300..<400).contains(response.status), response.status != 304,
              let location = response.headers["location"], !location.isEmpty,
              let target = URL(string: location, relativeTo: URL(string: response.url))?.absoluteURL.absoluteString else { return nil }
        return target
    }

    // MARK: requests

    /// Runs `body` until it succeeds, fails for good, or attempts run out.
    func withRetries<T>(_ what: String, attempts: Int? = nil, _ body: () throws -> T) throws -> T {
        var attempt = 1
        let attempts = attempts ?? settings.maxAttempts
        while true {
            do { return try body() } catch let error as HubError where error.isTransient && attempt < attempts {
                let pause = min(settings.backoff * pow(2, Double(attempt - 1)), 30)
                let retry = "retrying in \(String(format: "%.1f", pause)) s (attempt \(attempt + 1) of \(attempts))"
                FileHandle.standardError.write(Data("\(what): \(error); \(retry)\n".utf8))
                Thread.sleep(forTimeInterval: pause)
                attempt += 1
            }
        }
    }

    /// Sends `method` to `url`, following redirects (at most 10) while `follow(answer, target)`
    /// allows; `url` ends as where the returned answer came from. Only a 2xx body reaches `sink`.
    func send(_ method: HubTransfer.Method, _ url: inout String, rangeFrom: Int64 = 0,
              sink: HubTransfer.Sink? = nil,
              follow: (HubTransfer.Response, String) -> Bool = { _, _ in true }) throws -> HubTransfer.Response {
        for _ in 0..<10 {
            let response = try transfer.perform(method, url: url, headers: headers(for: url), rangeFrom: rangeFrom, sink: sink)
            guard let target = HubClient.redirectTarget(response), follow(response, target) else { return response }
            url = target
        }
        throw HubError.badResponse(url: url, reason: "too many redirects")
    }

    /// Lists the files of a repo at a revision: `GET {endpoint}/api/models/{repo}/revision/{revision}`.
    /// `attempts`: 1 when a cached copy can stand in, so an unreachable hub costs no backoff.
    public func listFiles(repo: String, revision: String, attempts: Int? = nil) throws -> [String] {
        var url = "\(settings.endpoint)/api/models/\(repo)/revision/\(HubClient.encode(revision, keepSlash: false))"
        return try withRetries("listing \(repo)", attempts: attempts) {
            var body = Data()
            let response = try send(.get, &url) { response, bytes in
                guard body.count + bytes.count <= 64 << 20 else {
                    throw HubError.badResponse(url: response.url, reason: "listing larger than 64 MiB")
                }
                body.append(contentsOf: bytes)
            }
            guard (200..<300).contains(response.status) else {
                throw failure(response, repo: repo, revision: revision, file: nil)
            }
            guard let siblings = (try? JSONParser.parse(body))?["siblings"]?.arrayValue,
                  siblings.allSatisfy({ $0.objectValue != nil }) else {
                throw HubError.badResponse(url: url, reason: "no 'siblings' list in the answer")
            }
            // Names the server sends are checked like the user's: unsafe ones are dropped.
            return siblings.compactMap { $0["rfilename"]?.stringValue }.filter { (try? HubNames.validateFile($0)) != nil }
        }
    }

    /// `HEAD` on the resolve URL, following redirects that stay on the hub: the metadata is on
    /// the last hub answer (for LFS files, the redirect to the CDN).
    public func metadata(repo: String, revision: String, file: String, attempts: Int? = nil) throws -> FileMetadata {
        var url = resolveURL(repo: repo, revision: revision, file: file)
        return try withRetries("resolving \(file)", attempts: attempts) {
            let response = try send(.head, &url, follow: { response, target in isHub(target) && response.headers["x-repo-commit"] == nil })
            let target = HubClient.redirectTarget(response)
            guard (200..<400).contains(response.status) else {
                throw failure(response, repo: repo, revision: revision, file: file)
            }
            guard let commit = response.headers["x-repo-commit"] else {
                throw HubError.badResponse(url: url, reason: "no X-Repo-Commit header (is HF_ENDPOINT a hub?)")
            }
            guard let rawEtag = response.headers["x-linked-etag"] ?? response.headers["etag"] else {
                throw HubError.badResponse(url: url, reason: "no ETag header")
            }
            let etag = HubNames.normalizeEtag(rawEtag)
            try HubNames.validateCommit(commit)
            try HubNames.validateEtag(etag)
            let sizeHeader = response.headers["x-linked-size"] ?? (target == nil ? response.headers["content-length"] : nil)
            let isLFS = response.headers["x-linked-etag"] != nil && etag.count == 64 && etag.allSatisfy(\.isHexDigit)
            return FileMetadata(commit: commit, etag: etag, size: sizeHeader.flatMap { Int64($0) },
                                location: target ?? url, sha256: isLFS ? etag.lowercased() : nil)
        }
    }

    /// The error a non-success answer means, naming what is missing or what to do.
    func failure(_ response: HubTransfer.Response, repo: String, revision: String, file: String?) -> HubError {
        let code = response.headers["x-error-code"] ?? ""
        let message = response.headers["x-error-message"]
            ?? String(decoding: response.errorBody.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        switch (response.status, code) {
        case (_, "RepoNotFound"): return .notFound(repo: repo, revision: revision, file: file, what: "repo")
        case (_, "RevisionNotFound"): return .notFound(repo: repo, revision: revision, file: file, what: "revision")
        case (_, "EntryNotFound"): return .notFound(repo: repo, revision: revision, file: file, what: "file")
        case (401, _), (403, _):
            return .accessDenied(repo: repo, endpoint: settings.endpoint,
                                 gated: code == "GatedRepo" || message.lowercased().contains("gated"), hasToken: settings.token != nil)
        case (404, _): return .notFound(repo: repo, revision: revision, file: file, what: file == nil ? "repo" : "file")
        default: return .http(status: response.status, url: response.url, message: message)
        }
    }
}
