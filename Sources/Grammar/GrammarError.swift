/// Why a grammar could not be built: each case names what to fix, so the API can answer
/// a 400 that points at the offending field.
public enum GrammarError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A JSON Schema keyword the compiler cannot enforce, at a JSON pointer (`/properties/a`).
    case unsupportedKeyword(keyword: String, path: String)
    /// A schema that is malformed or allows no value at all.
    case invalidSchema(message: String, path: String)
    /// GBNF text that does not parse; line and column are 1-based.
    case gbnfSyntax(message: String, line: Int, column: Int)
    /// A regular expression outside the supported subset or malformed; offset in characters.
    case regexSyntax(message: String, offset: Int)
    /// A rule referenced but never defined.
    case undefinedRule(String)
    /// A rule that can reach itself without consuming input (left recursion).
    case leftRecursion(String)
    /// A choice list with no strings, or a grammar that accepts nothing.
    case empty(String)

    public var description: String {
        switch self {
        case .unsupportedKeyword(let k, let p): return "unsupported JSON Schema keyword '\(k)' at \(p.isEmpty ? "/" : p)"
        case .invalidSchema(let m, let p): return "invalid JSON Schema at \(p.isEmpty ? "/" : p): \(m)"
        case .gbnfSyntax(let m, let l, let c): return "grammar syntax error at line \(l), column \(c): \(m)"
        case .regexSyntax(let m, let o): return "regex error at offset \(o): \(m)"
        case .undefinedRule(let n): return "grammar rule '\(n)' is referenced but not defined"
        case .leftRecursion(let n): return "grammar rule '\(n)' is left-recursive (can reach itself without consuming input)"
        case .empty(let m): return m
        }
    }
}
