import Foundation

/// A chat template (a Jinja subset), parsed once and rendered per request with Hugging
/// Face's settings (`trim_blocks`, `lstrip_blocks`): lexer → parser → tree → interpreter.
public struct ChatTemplate: Sendable {
    private let nodes: [TemplateNode]
    public let source: String

    public init(_ source: String) throws {
        var lexer = TemplateLexer(source)
        var parser = TemplateParser(try lexer.segments())
        nodes = try parser.parse()
        self.source = source
    }

    /// Renders with the given variables (`messages`, `add_generation_prompt`, `bos_token`…).
    public func render(_ variables: [String: TemplateValue]) throws -> String {
        try TemplateInterpreter(globals: variables).render(nodes)
    }
}

extension TemplateNode: @unchecked Sendable {}

extension ChatTemplate {
    /// A `strftime_now` that formats one fixed day instead of today (for reproducible renders).
    public static func fixedStrftime(year: Int, month: Int, day: Int) -> TemplateValue {
        var date = tm()
        date.tm_year = Int32(year - 1900)
        date.tm_mon = Int32(month - 1)
        date.tm_mday = Int32(day)
        var t = timegm(&date)
        gmtime_r(&t, &date)
        return TemplateBuiltins.strftime { [date] in date }
    }
}
