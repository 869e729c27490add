import Foundation

/// A value in a parsed JSON document and the path that reaches it
/// (`tokenizer.json.model.merges[3]`), for reading files whose mistakes must be errors
/// naming the field. Paths are built only when asked for, so walking a 262k-entry
/// vocabulary costs no string formatting.
public struct JSONField: Sendable {
    /// nil when the field is absent.
    public let value: JSON?
    private let parent: String
    private let step: Step

    private enum Step: Sendable {
        case root
        case key(String)  // .key, a field the reader asks for by name
        case entry(String)  // ["key"], an entry of an object read as data (keys may hold anything)
        case index(Int)  // [i]
    }

    /// The document `value`, whose paths start with `name` (e.g. "tokenizer.json").
    public init(_ value: JSON, name: String) {
        self.init(value, parent: name, step: .root)
    }

    /// Parses `document`; a parse failure is `JSONFieldError.notJSON` naming the file.
    public init(parsing document: some ContiguousBytes, name: String) throws {
        do {
            self.init(try JSONParser.parse(document), name: name)
        } catch let failure as JSONParser.Failure {
            throw JSONFieldError.notJSON(name, failure)
        }
    }

    private init(_ value: JSON?, parent: String, step: Step) {
        self.value = value
        self.parent = parent
        self.step = step
    }

    public var path: String {
        switch step {
        case .root: return parent
        case .key(let k): return "\(parent).\(k)"
        case .entry(let k): return "\(parent)[\"\(k)\"]"
        case .index(let i): return "\(parent)[\(i)]"
        }
    }

    /// Absent or JSON null.
    public var isNull: Bool { value == nil || value == .null }

    public subscript(key: String) -> JSONField { JSONField(value?[key], parent: path, step: .key(key)) }

    /// The value as `extract` reads it, else `.missing` or `.wrongType` naming `expected`.
    private func read<T>(_ expected: String, _ extract: (JSON) -> T?) throws -> T {
        guard let v = value.flatMap(extract) else { throw isNull ? .missing(path) : JSONFieldError.wrongType(path, expected: expected) }
        return v
    }

    /// An object's entries in order, each with the path `object["key"]`.
    public func entries() throws -> [(key: String, value: JSONField)] {
        let base = path
        return try read("an object") { $0.objectValue }.map { ($0.0, JSONField($0.1, parent: base, step: .entry($0.0))) }
    }

    public func array() throws -> [JSONField] {
        let base = path
        return try read("an array") { $0.arrayValue }.enumerated().map { JSONField($1, parent: base, step: .index($0)) }
    }

    public func string() throws -> String { try read("a string") { $0.stringValue } }
    /// An integer held exactly (see `JSONNumber.int`).
    public func int() throws -> Int { try read("an integer") { $0.intValue } }
    public func double() throws -> Double { try read("a number") { $0.doubleValue } }

    /// The boolean, or `absent` when the field is missing or null.
    public func bool(default absent: Bool) throws -> Bool { isNull ? absent : try read("a boolean") { $0.boolValue } }

    /// The integer, or nil when the field is missing or null.
    public func optionalInt() throws -> Int? { isNull ? nil : try int() }

    /// The number, or `absent` when the field is missing or null.
    public func double(default absent: Double) throws -> Double { isNull ? absent : try double() }
}
