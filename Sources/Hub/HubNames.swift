/// Validation of every name that becomes part of a path or a URL: repo ids, revisions, file
/// names, commits and ETags, whether they come from the user or from the server. A name that
/// could climb out of the cache (`..`, absolute paths, backslashes, NUL) is refused.
public enum HubNames {
    static let nameCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")

    /// `ORG/NAME` (or a legacy single `NAME`), each part of letters, digits, `-`, `_`, `.`,
    /// at most 96 characters, not starting or ending with `-`/`.`, without `--` or `..`.
    public static func validateRepo(_ repo: String) throws {
        let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else {
            throw HubError.invalidName(kind: "repo id", value: repo, reason: "expected ORG/NAME")
        }
        for part in parts {
            let reason: String? =
                part.isEmpty ? "an empty part" :
                part.count > 96 ? "a part longer than 96 characters" :
                !part.allSatisfy(nameCharacters.contains) ? "characters other than letters, digits, '-', '_' and '.'" :
                part.contains("--") || part.contains("..") ? "'--' or '..'" :
                part.first == "-" || part.first == "." || part.last == "-" || part.last == "." ? "a part starting or ending with '-' or '.'" :
                nil
            if let reason { throw HubError.invalidName(kind: "repo id", value: repo, reason: "it has \(reason)") }
        }
    }

    /// A branch, tag or commit; `/` is allowed between non-empty parts (`refs/pr/1`).
    public static func validateRevision(_ revision: String) throws {
        try validatePath(revision, kind: "revision", extra: [])
    }

    /// A file path inside a repo: relative, `/`-separated, no empty, `.` or `..` parts.
    public static func validateFile(_ file: String) throws {
        try validatePath(file, kind: "file name", extra: Set(" +,=@()[]{}~'!&"))
    }

    /// A commit hash from `X-Repo-Commit` (hex, 7–64 characters).
    public static func validateCommit(_ commit: String) throws {
        guard (7...64).contains(commit.count), commit.allSatisfy(\.isHexDigit) else {
            throw HubError.invalidName(kind: "commit", value: commit, reason: "not a hexadecimal commit hash")
        }
    }

    /// An ETag once normalized: it names a blob file, so it must be one plain file name.
    public static func validateEtag(_ etag: String) throws {
        guard !etag.isEmpty, etag.count <= 128, etag.allSatisfy(nameCharacters.contains),
              !etag.hasPrefix("."), !etag.contains("..") else {
            throw HubError.invalidName(kind: "ETag", value: etag, reason: "not usable as a file name")
        }
    }

    /// `"abc"` and `W/"abc"` → `abc`, as huggingface_hub normalizes them.
    public static func normalizeEtag(_ raw: String) -> String {
        var s = Substring(raw.trimmingCharacters(in: .whitespaces))
        if s.hasPrefix("W/") { s = s.dropFirst(2) }
        return String(s.filter { $0 != "\"" })
    }

    private static func validatePath(_ value: String, kind: String, extra: Set<Character>) throws {
        guard !value.isEmpty, value.utf8.count <= 1024 else {
            throw HubError.invalidName(kind: kind, value: value, reason: "empty or too long")
        }
        guard !value.hasPrefix("/") else {
            throw HubError.invalidName(kind: kind, value: value, reason: "an absolute path")
        }
        for part in value.split(separator: "/", omittingEmptySubsequences: false) {
            if part.isEmpty || part == "." || part == ".." {
                throw HubError.invalidName(kind: kind, value: value, reason: "it has an empty, '.' or '..' part")
            }
            if !part.allSatisfy({ nameCharacters.contains($0) || extra.contains($0) || (!$0.isASCII && !$0.isNewline) }) {
                throw HubError.invalidName(kind: kind, value: value, reason: "it has a character that is not allowed in a path here")
            }
        }
    }
}

import Foundation
