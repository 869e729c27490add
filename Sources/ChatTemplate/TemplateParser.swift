/// Segments → statement tree; tokens → expressions with Jinja's precedence
/// (conditional < or < and < not < comparison/in/is < +,- < ~ < *,/,//,% < ** < unary < postfix and filters).
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
                nodes.append(contentsOf: try statement(keyword, Array(tokens.dropFirst()), line: line))
            }
        }
        if !terminators.isEmpty { throw TemplateError.syntax("missing one of \(terminators.sorted().joined(separator: ", "))", line: 0) }
        return (nodes, nil)
    }

    private mutating func statement(_ keyword: String, _ rest: [TemplateToken], line: Int) throws -> [TemplateNode] {
        var p = ExpressionParser(tokens: rest, line: line)
        switch keyword {
        case "if":
            var branches: [(TemplateExpr, [TemplateNode])] = []
            var condition = try p.parseAll()
            while true {
                let (nodes, end) = try body(until: ["elif", "else", "endif"])
                branches.append((condition, nodes))
                guard let end else { throw TemplateError.syntax("missing endif", line: line) }
                switch end.keyword {
                case "elif":
                    var q = ExpressionParser(tokens: Array(end.tokens.dropFirst()), line: end.line)
                    condition = try q.parseAll()
                case "else":
                    let (elseNodes, _) = try body(until: ["endif"])
                    return [.conditional(branches, else: elseNodes)]
                default:
                    return [.conditional(branches, else: [])]
                }
            }
        case "for":
            var targets = [try p.name()]
            while p.accept(.op(",")) { targets.append(try p.name()) }
            try p.expect(.name("in"))
            let iterable = try p.parseOr()
            var filter: TemplateExpr?
            if p.accept(.name("if")) { filter = try p.parseOr() }
            if p.accept(.name("recursive")) { throw TemplateError.syntax("recursive loops are not supported", line: line) }
            try p.end()
            let (nodes, end) = try body(until: ["else", "endfor"])
            var elseNodes: [TemplateNode] = []
            if end?.keyword == "else" { elseNodes = try body(until: ["endfor"]).0 }
            return [.loop(targets: targets, iterable: iterable, filter: filter, body: nodes, else: elseNodes)]
        case "set":
            let name = try p.name()
            var attribute: String?
            if p.accept(.op(".")) { attribute = try p.name() }
            if p.atEnd && attribute == nil {
                let (nodes, _) = try body(until: ["endset"])
                return [.setBlock(name: name, body: nodes)]
            }
            try p.expect(.op("="))
            return [.set(name: name, attribute: attribute, value: try p.parseAll())]
        case "macro":
            let name = try p.name()
            try p.expect(.op("("))
            var parameters: [(String, TemplateExpr?)] = []
            while !p.accept(.op(")")) {
                let param = try p.name()
                parameters.append((param, p.accept(.op("=")) ? try p.parseExpression() : nil))
                if !p.accept(.op(",")) { try p.expect(.op(")")); break }
            }
            try p.end()
            let (nodes, _) = try body(until: ["endmacro"])
            return [.macro(name: name, parameters: parameters, body: nodes)]
        case "break": try p.end(); return [.breakLoop]
        case "continue": try p.end(); return [.continueLoop]
        case "generation":
            // Hugging Face's marker for assistant-token masks: renders its body unchanged.
            return try body(until: ["endgeneration"]).0
        default:
            throw TemplateError.syntax("unknown statement '\(keyword)'", line: line)
        }
    }
}

/// Recursive descent over one tag's tokens.
struct ExpressionParser {
    let tokens: [TemplateToken]
    let line: Int
    var i = 0

    init(tokens: [TemplateToken], line: Int) {
        self.tokens = tokens
        self.line = line
    }

    var atEnd: Bool { i >= tokens.count }
    private var peek: TemplateToken? { i < tokens.count ? tokens[i] : nil }

    func error(_ m: String) -> TemplateError { .syntax(m, line: line) }

    mutating func accept(_ t: TemplateToken) -> Bool {
        if peek == t { i += 1; return true }
        return false
    }

    mutating func expect(_ t: TemplateToken) throws {
        guard accept(t) else { throw error("expected \(t)") }
    }

    mutating func end() throws { if !atEnd { throw error("unexpected \(tokens[i])") } }

    mutating func name() throws -> String {
        guard case .name(let n)? = peek else { throw error("expected a name") }
        i += 1
        return n
    }

    mutating func parseAll() throws -> TemplateExpr {
        let e = try parseExpression()
        try end()
        return e
    }

    /// A conditional expression, or a bare tuple `a, b` (as a list).
    mutating func parseExpression() throws -> TemplateExpr {
        let e = try parseConditional()
        guard peek == .op(","), !atEnd else { return e }
        var items = [e]
        while accept(.op(",")) {
            if atEnd || peek == .op(")") || peek == .op("]") { break }
            items.append(try parseConditional())
        }
        return .list(items)
    }

    mutating func parseConditional() throws -> TemplateExpr {
        let value = try parseOr()
        guard accept(.name("if")) else { return value }
        let condition = try parseOr()
        let otherwise = accept(.name("else")) ? try parseConditional() : nil
        return .conditional(condition, then: value, else: otherwise)
    }

    mutating func parseOr() throws -> TemplateExpr {
        var e = try parseAnd()
        while accept(.name("or")) { e = .or(e, try parseAnd()) }
        return e
    }

    mutating func parseAnd() throws -> TemplateExpr {
        var e = try parseNot()
        while accept(.name("and")) { e = .and(e, try parseNot()) }
        return e
    }

    mutating func parseNot() throws -> TemplateExpr {
        if accept(.name("not")) { return .not(try parseNot()) }
        return try parseComparison()
    }

    mutating func parseComparison() throws -> TemplateExpr {
        var e = try parseAdditive()
        while true {
            if case .op(let op)? = peek, ["==", "!=", "<", ">", "<=", ">="].contains(op) {
                i += 1
                e = .binary(op, e, try parseAdditive())
            } else if accept(.name("in")) {
                e = .binary("in", e, try parseAdditive())
            } else if peek == .name("not"), i + 1 < tokens.count, tokens[i + 1] == .name("in") {
                i += 2
                e = .not(.binary("in", e, try parseAdditive()))
            } else if accept(.name("is")) {
                let negated = accept(.name("not"))
                let test = try name()
                var args: [TemplateExpr] = []
                if accept(.op("(")) {
                    args = try arguments().positional
                } else if let p = peek, case .name(let n) = p, !["and", "or", "else", "if", "not", "in", "is"].contains(n) {
                    args = [try parseAdditive()]
                } else if let p = peek, case .string = p { args = [try parseAdditive()] }
                else if let p = peek, case .int = p { args = [try parseAdditive()] }
                e = .test(e, test, args, negated: negated)
            } else {
                return e
            }
        }
    }

    mutating func parseAdditive() throws -> TemplateExpr {
        var e = try parseConcat()
        while case .op(let op)? = peek, op == "+" || op == "-" {
            i += 1
            e = .binary(op, e, try parseConcat())
        }
        return e
    }

    mutating func parseConcat() throws -> TemplateExpr {
        var e = try parseMultiplicative()
        while accept(.op("~")) { e = .binary("~", e, try parseMultiplicative()) }
        return e
    }

    mutating func parseMultiplicative() throws -> TemplateExpr {
        var e = try parsePower()
        while case .op(let op)? = peek, ["*", "/", "//", "%"].contains(op) {
            i += 1
            e = .binary(op, e, try parsePower())
        }
        return e
    }

    mutating func parsePower() throws -> TemplateExpr {
        let e = try parseUnary()
        if accept(.op("**")) { return .binary("**", e, try parseUnary()) }
        return e
    }

    mutating func parseUnary() throws -> TemplateExpr {
        if accept(.op("-")) { return try filters(.negate(try parseUnary())) }
        if accept(.op("+")) { return try parseUnary() }
        return try filters(try postfix(try primary()))
    }

    mutating func filters(_ base: TemplateExpr) throws -> TemplateExpr {
        var e = base
        while accept(.op("|")) {
            var n = try name()
            while accept(.op(".")) { n += "." + (try name()) }
            var args: (positional: [TemplateExpr], keyword: [(String, TemplateExpr)]) = ([], [])
            if accept(.op("(")) { args = try arguments() }
            e = .filter(e, n, args.positional, args.keyword)
        }
        return e
    }

    mutating func postfix(_ base: TemplateExpr) throws -> TemplateExpr {
        var e = base
        while true {
            if accept(.op(".")) {
                if case .int(let k)? = peek { i += 1; e = .index(e, .literal(.int(k))); continue }
                e = .attribute(e, try name())
            } else if accept(.op("[")) {
                var parts: [TemplateExpr?] = [nil]
                var isSlice = false
                while !accept(.op("]")) {
                    if accept(.op(":")) { isSlice = true; parts.append(nil); continue }
                    guard parts[parts.count - 1] == nil else { throw error("expected ']'") }
                    parts[parts.count - 1] = try parseConditional()
                }
                if isSlice {
                    guard parts.count <= 3 else { throw error("bad slice") }
                    e = .slice(e, parts[0], parts.count > 1 ? parts[1] : nil, parts.count > 2 ? parts[2] : nil)
                } else {
                    guard let key = parts[0] else { throw error("empty subscript") }
                    e = .index(e, key)
                }
            } else if accept(.op("(")) {
                let args = try arguments()
                e = .call(e, args.positional, args.keyword)
            } else {
                return e
            }
        }
    }

    /// Arguments after `(` through `)`.
    mutating func arguments() throws -> (positional: [TemplateExpr], keyword: [(String, TemplateExpr)]) {
        var positional: [TemplateExpr] = [], keyword: [(String, TemplateExpr)] = []
        while !accept(.op(")")) {
            if case .name(let n)? = peek, i + 1 < tokens.count, tokens[i + 1] == .op("=") {
                i += 2
                keyword.append((n, try parseConditional()))
            } else {
                positional.append(try parseConditional())
            }
            if !accept(.op(",")) { try expect(.op(")")); break }
        }
        return (positional, keyword)
    }

    mutating func primary() throws -> TemplateExpr {
        guard let t = peek else { throw error("unexpected end of expression") }
        i += 1
        switch t {
        case .string(var s):
            while case .string(let more)? = peek { s += more; i += 1 }  // adjacent literals concatenate
            return .literal(.string(s))
        case .int(let v): return .literal(.int(v))
        case .double(let v): return .literal(.double(v))
        case .name(let n):
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case .op("("):
            if accept(.op(")")) { return .list([]) }
            let e = try parseExpression()
            try expect(.op(")"))
            return e
        case .op("["):
            var items: [TemplateExpr] = []
            while !accept(.op("]")) {
                items.append(try parseConditional())
                if !accept(.op(",")) { try expect(.op("]")); break }
            }
            return .list(items)
        case .op("{"):
            var pairs: [(TemplateExpr, TemplateExpr)] = []
            while !accept(.op("}")) {
                let k = try parseConditional()
                try expect(.op(":"))
                pairs.append((k, try parseConditional()))
                if !accept(.op(",")) { try expect(.op("}")); break }
            }
            return .dict(pairs)
        default:
            throw error("unexpected \(t)")
        }
    }
}
