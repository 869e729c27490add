/// Expressions of the Jinja subset.
indirect enum TemplateExpr {
    case literal(TemplateValue)
    case name(String)
    case list([TemplateExpr])
    case dict([(TemplateExpr, TemplateExpr)])
    /// `base[key]`, and `base.name` (as `base["name"]`).
    case index(TemplateExpr, TemplateExpr)
    case slice(TemplateExpr, TemplateExpr?, TemplateExpr?, TemplateExpr?)
    case call(TemplateExpr, [TemplateExpr], [(String, TemplateExpr)])
    case filter(TemplateExpr, String, [TemplateExpr], [(String, TemplateExpr)])
    case test(TemplateExpr, String, [TemplateExpr], negated: Bool)
    case not(TemplateExpr)
    case negate(TemplateExpr)
    /// An operator, `and` and `or` included (they evaluate their right side only when needed).
    case binary(String, TemplateExpr, TemplateExpr)
    case conditional(TemplateExpr, then: TemplateExpr, else: TemplateExpr?)
}

/// Statements and text.
indirect enum TemplateNode {
    case text(String)
    case output(TemplateExpr)
    case conditional([(TemplateExpr, [TemplateNode])], else: [TemplateNode])
    case loop(targets: [String], iterable: TemplateExpr, filter: TemplateExpr?, body: [TemplateNode], else: [TemplateNode])
    case set(name: String, attribute: String?, value: TemplateExpr)
    case setBlock(name: String, body: [TemplateNode])
    case macro(name: String, parameters: [(String, TemplateExpr?)], body: [TemplateNode])
    case breakLoop
    case continueLoop
}
