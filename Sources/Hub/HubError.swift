import Foundation

/// Everything that can go wrong between a repo id and a file in the cache, each case
/// saying what the user can do about it.
public enum HubError: Error, Equatable, CustomStringConvertible {
    /// A repo id, revision, file name, commit or ETag that could escape the cache or is malformed.
    case invalidName(kind: String, value: String, reason: String)
    /// 401/403: the repo is gated or private.
    case accessDenied(repo: String, endpoint: String, gated: Bool, hasToken: Bool)
    /// 404: the repo, the revision or the file does not exist.
    case notFound(repo: String, revision: String, file: String?, what: String)
    /// Any other HTTP status.
    case http(status: Int, url: String, message: String)
    /// libcurl could not complete a transfer (timeout, connection reset, DNS …).
    case transfer(code: Int, url: String, message: String)
    /// The server's answer lacks something the cache layout needs.
    case badResponse(url: String, reason: String)
    /// The downloaded bytes are not the ones the hub announced.
    case checksumMismatch(file: String, expected: String, actual: String)
    case sizeMismatch(file: String, expected: Int64, actual: Int64)
    /// No GGUF in the repo matches the asked quantization (or several do and none was asked).
    case noMatchingFile(repo: String, asked: String?, available: [String])
    /// HF_HUB_OFFLINE=1 and the file is not in the cache.
    case notCached(repo: String, revision: String, file: String?)
    /// The local cache cannot be written.
    case io(path: String, message: String)

    /// `.io` for a system call on `path` that failed: `context`, then what `errno` says.
    static func system(path: String, _ context: String = "") -> HubError {
        .io(path: path, message: context + String(cString: strerror(errno)))
    }

    /// Worth retrying after a pause: transport failures, 5xx and 429.
    var isTransient: Bool {
        switch self {
        // A host name that does not resolve (curl 5, 6) will not resolve a second later.
        case .transfer(let code, _, _): return code != 5 && code != 6
        // 416: the partial file was not a prefix of the server's; it has been emptied.
        case .http(let status, _, _): return status >= 500 || status == 429 || status == 408 || status == 416
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .invalidName(let kind, let value, let reason):
            return "invalid \(kind) '\(value)': \(reason)"
        case .accessDenied(let repo, let endpoint, let gated, let hasToken):
            let what = gated ? "\(repo) is a gated repo" : "access to \(repo) was refused"
            let fix = hasToken
                ? "check that the account of HF_TOKEN has accepted the licence at \(endpoint)/\(repo) and that the token can read it"
                : "accept the licence at \(endpoint)/\(repo) while logged in, then set HF_TOKEN to a read token of that account"
            return "\(what): \(fix)"
        case .notFound(let repo, let revision, let file, let what):
            switch what {
            case "repo": return "repo \(repo) not found (a private repo also answers 404 without HF_TOKEN)"
            case "revision": return "revision '\(revision)' not found in \(repo)"
            default: return "file '\(file ?? "?")' not found in \(repo) at revision '\(revision)'"
            }
        case .http(let status, let url, let message):
            return "HTTP \(status) from \(url)\(message.isEmpty ? "" : ": \(message)")"
        case .transfer(let code, let url, let message):
            return "download of \(url) failed (curl error \(code)): \(message)"
        case .badResponse(let url, let reason):
            return "unexpected answer from \(url): \(reason)"
        case .checksumMismatch(let file, let expected, let actual):
            return "\(file): SHA-256 \(actual) does not match the hub's \(expected); the download was discarded"
        case .sizeMismatch(let file, let expected, let actual):
            return "\(file): received \(actual) bytes, the hub announced \(expected)"
        case .noMatchingFile(let repo, let asked, let available):
            let list = available.isEmpty ? "it has no .gguf files" : "available: \(available.joined(separator: ", "))"
            if let asked { return "no GGUF file of quantization \(asked) in \(repo); \(list)" }
            return "\(repo) has several GGUF files; choose one with --quant or --file (\(list))"
        case .notCached(let repo, let revision, let file):
            return "\(file.map { "\($0) of " } ?? "")\(repo) at '\(revision)' is not in the cache and HF_HUB_OFFLINE=1 forbids downloading it"
        case .io(let path, let message):
            return "\(path): \(message)"
        }
    }
}
