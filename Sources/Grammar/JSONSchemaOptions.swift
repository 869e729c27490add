/// How schema grammars shape the JSON they accept.
///
/// Whitespace: none is needed; where JSON allows it (after `{ [ , :` and before `} ]`) at
/// most one `ws` appears, `ws` being nothing, one space, or a newline followed by up to
/// `maxIndent` spaces or tabs. So compact output, `", "`/`": "` separators and indented
/// (pretty-printed) output all parse, and whitespace is bounded: greedy decoding cannot loop
/// in it. No whitespace before `:` or `,`, none before or after the top-level value.
///
/// Properties come in the schema's order; required ones must appear, optional ones may be
/// skipped. Numbers, and where the options say so unbounded strings, arrays, extra properties and
/// recursion, are bounded too (see the fields), so greedy decoding cannot repeat forever.
public struct JSONSchemaOptions: Sendable, Hashable {
    /// Allow `ws` (see above); false: compact JSON only.
    public var allowWhitespace: Bool = true
    /// Spaces or tabs allowed after a newline.
    public var maxIndent: Int = 20
    /// An object schema with `properties` but without `additionalProperties` accepts no other
    /// properties (as OpenAI's strict mode and xgrammar do); false: any other properties, as
    /// JSON Schema says. A schema without `properties` (`{"type": "object"}`) takes any.
    public var strictProperties: Bool = true
    /// Longest string (in characters; an escape counts one) when a schema gives no
    /// `maxLength`; nil: unbounded.
    public var maxStringLength: Int? = nil
    /// Most digits in an integer part (also an unbounded integer's) and in a fraction.
    public var maxDigits: Int = 20
    /// Most items of an array whose schema gives no `maxItems`, and most properties an object
    /// takes beyond the ones it names (`additionalProperties`); nil: unbounded.
    public var maxItems: Int? = nil
    /// Deepest recursion: how many times one `$ref` target may nest inside itself, and how
    /// deep free JSON values (`{}`, `true`, `json_object`) nest; nil: unbounded.
    public var maxDepth: Int? = nil

    public init(allowWhitespace: Bool = true, maxIndent: Int = 20, strictProperties: Bool = true,
                maxStringLength: Int? = nil, maxDigits: Int = 20, maxItems: Int? = nil, maxDepth: Int? = nil) {
        self.allowWhitespace = allowWhitespace
        self.maxIndent = maxIndent
        self.strictProperties = strictProperties
        self.maxStringLength = maxStringLength
        self.maxDigits = max(1, maxDigits)
        self.maxItems = maxItems.map { max(1, $0) }
        self.maxDepth = maxDepth.map { max(1, $0) }
    }
}
