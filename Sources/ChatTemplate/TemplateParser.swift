/// Segments → statement tree (the expressions inside tags are `ExpressionParser`'s).
struct TemplateParser {
    private let segments: [TemplateSegment]
    private var position = 0

    init(_ segments: [TemplateSegment]) { self.segments = segments }

    mutating func parse() throws -> [TemplateNode] {
        let (nodes, end) = try body(until: [])
        if let end { throw TemplateError.syntax("unexpected '\(end.keyword)'", line: end.line) }
        return nodes
    }

    private struct End { let keyword: String; let tokens: [TemplateToken]; let line: Int }

    /// Nodes up to a statement whose first word is in `terminators` (returned, consumed).
    private mutating func body(until terminators: Set<String>) throws -> ([TemplateNode], End?) {
        var nodes: [TemplateNode] = []
        while position < segments.count {
            let segment = segments[position]
            position += 1
            switch segment {
            case .text(let t): nodes.append(.text(t))
            case .output(let tokens, let line):
                var p = ExpressionParser(tokens: tokens, line: line)
                nodes.append(.output(try p.parseAll()))
            case .statement(let tokens, let line):
                guard case .name(let keyword)? = tokens.first else { throw TemplateError.syntax("empty tag", line: line) }
                if terminators.contains(keyword) { return (nodes, End(keyword: keyword, tokens: tokens, line: line)) }
                var p = ExpressionParser(tokens: Array(tokens.dropFirst()), line: line)
                nodes.append(contentsOf: try statement(keyword, &p))
            }
        }
        if !terminators.isEmpty { throw TemplateError.syntax("missing one of \(terminators.sorted().joined(separator: ", "))", line: 0) }
        return (nodes, nil)
    }

    /// The statement `keyword` starts, its other tokens in `p`, with its body when it has one.
    private mutating func statement(_ keyword: String, _ p: inout ExpressionParser) throws -> [TemplateNode] {
        switch keyword {
        case "if": return [try ifStatement(condition: try p.parseAll(), line: p.line)]
        case "for": return [try forStatement(&p)]
        case "set": return [try setStatement(&p)]
        case "macro":
            let name = try p.name()
            try p.expect(.op("("))
            let parameters = try p.commaSeparated(until: ")") { q in (try q.name(), q.accept(.op("=")) ? try q.parseExpression() : nil) }
            try p.end()
            return [.macro(name: name, parameters: parameters, body: try body(until: ["endmacro"]).0)]
        case "break": try p.end(); return [.breakLoop]
        case "continue": try p.end(); return [.continueLoop]
        case "generation":
            // Hugging Face's marker for assistant-token masks: renders its body unchanged.
            return try body(until: ["endgeneration"]).0
        default:
            throw TemplateError.syntax("unknown statement '\(keyword)'", line: p.line)
        }
    }

    /// `if … elif … else … endif`, after the first condition.
    private mutating func ifStatement(condition first: TemplateExpr, line: Int) throws -> TemplateNode {
        var branches: [(TemplateExpr, [TemplateNode])] = []
        var condition = first
        while true {
            let (nodes, end) = try body(until: ["elif", "else", "endif"])
            branches.append((condition, nodes))
            guard let end else { throw TemplateError.syntax("missing endif", line: line) }
            switch end.keyword {
            case "elif":
                var q = ExpressionParser(tokens: Array(end.tokens.dropFirst()), line: end.line)
                condition = try q.parseAll()
            case "else": return .conditional(branches, else: try body(until: ["endif"]).0)
            default: return .conditional(branches, else: [])
            }
        }
    }

    /// `for targets in iterable [if filter] … [else …] endfor`.
    private mutating func forStatement(_ p: inout ExpressionParser) throws -> TemplateNode {
        var targets = [try p.name()]
        while p.accept(.op(",")) { targets.append(try p.name()) }
        try p.expect(.name("in"))
        let iterable = try p.parseOr()
        let filter = p.accept(.name("if")) ? try p.parseOr() : nil
        if p.accept(.name("recursive")) { throw TemplateError.syntax("recursive loops are not supported", line: p.line) }
        try p.end()
        let (nodes, end) = try body(until: ["else", "endfor"])
        let elseNodes = end?.keyword == "else" ? try body(until: ["endfor"]).0 : []
        return .loop(targets: targets, iterable: iterable, filter: filter, body: nodes, else: elseNodes)
    }

    /// `set name = value`, `set ns.attribute = value`, or the block `set name … endset`.
    private mutating func setStatement(_ p: inout ExpressionParser) throws -> TemplateNode {
        let name = try p.name()
        let attribute = p.accept(.op(".")) ? try p.name() : nil
        if p.atEnd && attribute == nil { return .setBlock(name: name, body: try body(until: ["endset"]).0) }
        try p.expect(.op("="))
        return .set(name: name, attribute: attribute, value: try p.parseAll())
    }
}
