import Foundation

/// A value in a parsed JSON file together with its path (`model.merges[3]`), so that a
/// missing or mistyped field becomes a TokenizerError naming it.
struct JSONNode {
    let value: Any?
    let path: String

    /// Parses `data`; `name` starts the paths (e.g. "tokenizer.json").
    init(parsing data: Data, name: String) throws {
        do {
            value = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw TokenizerError.malformed("\(name) is not valid JSON")
        }
        path = name
    }

    init(value: Any?, path: String) {
        self.value = value
        self.path = path
    }

    subscript(key: String) -> JSONNode { JSONNode(value: (value as? [String: Any])?[key], path: "\(path).\(key)") }

    /// Absent or JSON null.
    var isNull: Bool { value == nil || value is NSNull }

    func object() throws -> [String: Any] {
        guard let o = value as? [String: Any] else { throw isNull ? TokenizerError.missing(path) : TokenizerError.malformed("\(path) is not an object") }
        return o
    }

    func array() throws -> [JSONNode] {
        guard let a = value as? [Any] else { throw isNull ? TokenizerError.missing(path) : TokenizerError.malformed("\(path) is not an array") }
        return a.enumerated().map { JSONNode(value: $1, path: "\(path)[\($0)]") }
    }

    func string() throws -> String {
        guard let s = value as? String else { throw isNull ? TokenizerError.missing(path) : TokenizerError.malformed("\(path) is not a string") }
        return s
    }

    /// A non-negative integer below 2^24 (a token id).
    func id() throws -> Int32 {
        guard let n = value as? Int else { throw isNull ? TokenizerError.missing(path) : TokenizerError.malformed("\(path) is not an integer") }
        guard n >= 0, n < 1 << 24 else { throw TokenizerError.malformed("\(path) = \(n) is not a token id") }
        return Int32(n)
    }

    /// The boolean, or `absent` when the field is missing or null.
    func bool(default absent: Bool) throws -> Bool {
        if isNull { return absent }
        guard let b = value as? Bool else { throw TokenizerError.malformed("\(path) is not a boolean") }
        return b
    }

    /// The `type` field of a tokenizer.json component.
    func type() throws -> String { try self["type"].string() }
}
