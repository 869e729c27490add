import JSON

extension Grammar {
    /// JSON values framed by literal text, as tool calls are written in a model's own syntax
    /// (`<tool_call>\n{…}\n</tool_call>`, `[TOOL_CALLS][{…}]`): `prefix`, then between
    /// `minCount` and `maxCount` (nil: no limit) values separated by `separator`, each framed
    /// as `open value close` and validating against `schema`, then `suffix`.
    public init(framing schema: JSON, prefix: String = "", open: String = "", close: String = "", separator: String = "",
                suffix: String = "", minCount: Int = 1, maxCount: Int? = 1, options: JSONSchemaOptions = JSONSchemaOptions()) throws {
        guard minCount >= 1, maxCount.map({ $0 >= minCount }) ?? true else {
            throw GrammarError.empty("a framed grammar needs 1 <= minCount <= maxCount")
        }
        var compiler = JSONSchemaCompiler(root: schema, options: options)
        let value = try compiler.compileRoot()
        var rules = compiler.rules
        let item = rules.add("framed_value", .seq([.literal(open), .ref(value), .literal(close)]))
        let more = GrammarExpr.rep(.seq([.literal(separator), .ref(item)]), min: minCount - 1, max: maxCount.map { $0 - 1 })
        let root = rules.add("framed", .seq([.literal(prefix), .ref(item), more, .literal(suffix)]))
        self = try GrammarLowering.lower(rules, root: root)
    }
}
