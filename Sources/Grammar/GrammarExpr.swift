/// A grammar expression over Unicode code points, the common form the front ends (JSON
/// Schema, GBNF, regex, choices) produce before `GrammarLowering` turns it into byte rules.
indirect enum GrammarExpr: Hashable, Sendable {
    /// These bytes, in order (a literal's UTF-8).
    case bytes([UInt8])
    /// One code point from the set.
    case chars(CodePointSet)
    /// Each part in order.
    case seq([GrammarExpr])
    /// Any one of the options (none: matches nothing).
    case alt([GrammarExpr])
    /// A rule of the enclosing `RuleSet`, by index.
    case ref(Int)
    /// The body repeated `min` to `max` times (`max` nil: unbounded).
    case rep(GrammarExpr, min: Int, max: Int?)

    static let empty = GrammarExpr.seq([])

    static func literal(_ s: String) -> GrammarExpr { .bytes(Array(s.utf8)) }

    static func optional(_ e: GrammarExpr) -> GrammarExpr { .rep(e, min: 0, max: 1) }

    static func star(_ e: GrammarExpr) -> GrammarExpr { .rep(e, min: 0, max: nil) }

    /// One code point in `lo...hi`.
    static func range(_ lo: Unicode.Scalar, _ hi: Unicode.Scalar) -> GrammarExpr {
        .chars(CodePointSet([lo.value...hi.value]))
    }

    /// One of the given characters.
    static func oneOf(_ s: String) -> GrammarExpr {
        .chars(CodePointSet(s.unicodeScalars.map { $0.value...$0.value }))
    }
}

/// Named rules under construction: front ends add rules (possibly before defining them, for
/// recursion) and define each once.
struct RuleSet: Sendable {
    private(set) var names: [String] = []
    private(set) var definitions: [GrammarExpr?] = []

    /// A new rule; `definition` may come later through `define`.
    mutating func add(_ name: String, _ definition: GrammarExpr? = nil) -> Int {
        names.append(name)
        definitions.append(definition)
        return names.count - 1
    }

    mutating func define(_ rule: Int, _ definition: GrammarExpr) { definitions[rule] = definition }

    func isDefined(_ rule: Int) -> Bool { definitions[rule] != nil }
}
