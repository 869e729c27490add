import JSON

/// A compiled grammar: byte-level rules, immutable and shareable across threads and
/// sequences. Build one from a JSON Schema, GBNF text, a regex or a list of choices; run it
/// with a `GrammarMatcher` and mask a vocabulary with a `TokenMasker`.
public struct Grammar: Sendable {
    /// Every alternative's elements, flat: `>= 0` a byte-set index (a terminal matching one
    /// byte), `-1` the end of an alternative, `<= -2` a reference to rule `-(e + 2)`.
    let elements: [Int32]
    /// Byte sets, 4 words (256 bits) each. // (numSets * 4)
    let byteSets: [UInt64]
    /// Each rule's alternatives, as indices of their first element.
    let ruleAlternatives: [[Int32]]
    let ruleNames: [String]
    let root: Int
    /// Each bounded repetition `x{m,n}`'s optional rules by level: `[c][i - 1]` is the rule
    /// allowing up to i more units (`O_i ::= x O_(i-1) | ε`). Levels above a token's length
    /// behave alike for that token: `TokenMasker` keys them as one.
    let repetitionChains: [[Int32]]

    init(elements: [Int32], byteSets: [UInt64], ruleAlternatives: [[Int32]], ruleNames: [String], root: Int,
         repetitionChains: [[Int32]] = []) {
        self.elements = elements
        self.byteSets = byteSets
        self.ruleAlternatives = ruleAlternatives
        self.ruleNames = ruleNames
        self.root = root
        self.repetitionChains = repetitionChains
    }

    /// Whether terminal `set` matches byte `b`.
    @inline(__always) func accepts(_ set: Int32, _ b: UInt8) -> Bool {
        byteSets[Int(set) &* 4 &+ Int(b >> 6)] >> UInt64(b & 63) & 1 != 0
    }

    /// Number of rules after lowering (named ones plus helpers), for diagnostics.
    public var ruleCount: Int { ruleAlternatives.count }

    /// Number of grammar positions (elements), for diagnostics.
    public var elementCount: Int { elements.count }

    /// The grammar of JSON text that validates against `schema` (see `JSONSchemaOptions` for
    /// the whitespace and property-order conventions). Throws `GrammarError.unsupportedKeyword`
    /// for a keyword it cannot enforce, naming it and its JSON pointer.
    public init(jsonSchema schema: JSON, options: JSONSchemaOptions = JSONSchemaOptions()) throws {
        var compiler = JSONSchemaCompiler(root: schema, options: options)
        let root = try compiler.compileRoot()
        self = try GrammarLowering.lower(compiler.rules, root: root)
    }

    /// Any JSON value, with the same whitespace conventions as schema grammars
    /// (OpenAI's `response_format: json_object` asks for an object: use `anyJSONObject`).
    public static func anyJSON(options: JSONSchemaOptions = JSONSchemaOptions()) -> Grammar {
        (try? Grammar(jsonSchema: .object([]), options: options)) ?? Grammar(elements: [], byteSets: [], ruleAlternatives: [[]], ruleNames: ["root"], root: 0)
    }

    /// Any JSON object (`response_format: json_object`).
    public static func anyJSONObject(options: JSONSchemaOptions = JSONSchemaOptions()) -> Grammar {
        (try? Grammar(jsonSchema: ["type": "object"], options: options)) ?? anyJSON(options: options)
    }

    /// A llama.cpp GBNF grammar (`root ::= ...` rules); the start rule is `root`.
    public init(gbnf: String, root: String = "root") throws {
        let rules = try GBNFParser.parse(gbnf, root: root)
        self = try GrammarLowering.lower(rules.rules, root: rules.root)
    }

    /// Text that fully matches `regex` (the subset in `RegexParser`: classes, escapes,
    /// quantifiers, groups, alternation, `^`/`$` at the ends).
    public init(regex: String) throws {
        var rules = RuleSet()
        let root = rules.add("root")
        rules.define(root, try RegexParser.parse(regex, mode: .fullMatch))
        self = try GrammarLowering.lower(rules, root: root)
    }

    /// Exactly one of `choices`, verbatim.
    public init(choices: [String]) throws {
        guard !choices.isEmpty else { throw GrammarError.empty("a choice list needs at least one string") }
        var rules = RuleSet()
        let root = rules.add("root", .alt(choices.map { .literal($0) }))
        self = try GrammarLowering.lower(rules, root: root)
    }
}
