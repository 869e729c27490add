/// How schema grammars shape the JSON they accept.
///
/// Whitespace: none is needed; where JSON allows it (after `{ [ , :` and before `} ]`) at
/// most one `ws` appears, `ws` being nothing, one space, or a newline followed by up to
/// `maxIndent` spaces or tabs. So compact output, `", "`/`": "` separators and indented
/// (pretty-printed) output all parse, and whitespace is bounded: greedy decoding cannot loop
/// in it. No whitespace before `:` or `,`, none before or after the top-level value.
///
/// Properties come in the schema's order; required ones must appear, optional ones may be
/// skipped. Numbers and unbounded strings are bounded too (see the fields).
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

    public init(allowWhitespace: Bool = true, maxIndent: Int = 20, strictProperties: Bool = true,
                maxStringLength: Int? = nil, maxDigits: Int = 20) {
        self.allowWhitespace = allowWhitespace
        self.maxIndent = maxIndent
        self.strictProperties = strictProperties
        self.maxStringLength = maxStringLength
        self.maxDigits = max(1, maxDigits)
    }
}
