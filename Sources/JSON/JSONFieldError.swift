/// Why a `JSONField` could not be read; every case names the field's path.
public enum JSONFieldError: Error, Equatable, CustomStringConvertible {
    /// The field is absent or null.
    case missing(String)
    /// The field holds another kind of value: `expected` is "a string", "an integer", ….
    case wrongType(String, expected: String)
    /// The document could not be parsed.
    case notJSON(String, JSONParser.Failure)

    public var description: String {
        switch self {
        case .missing(let path): return "\(path) is missing"
        case .wrongType(let path, let expected): return "\(path) is not \(expected)"
        case .notJSON(let name, let failure): return "\(name) is not valid JSON (\(failure))"
        }
    }
}
