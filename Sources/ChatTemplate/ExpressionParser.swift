/// Recursive descent over one tag's tokens, with Jinja's precedence (conditional < or < and < not
/// < comparison/in/is < +,- < ~ < *,/,//,% < ** < unary < postfix and filters).
struct ExpressionParser {
    typealias Arguments = (positional: [TemplateExpr], keyword: [(String, TemplateExpr)])

    let tokens: [TemplateToken]
    let line: Int
    var i = 0

    var atEnd: Bool { i >= tokens.count }
    private var peek: TemplateToken? { i < tokens.count ? tokens[i] : nil }
    private var next: TemplateToken? { i + 1 < tokens.count ? tokens[i + 1] : nil }

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

    /// Comma-separated items through the closing `close` (a trailing comma is allowed).
    mutating func commaSeparated<T>(until close: String, _ item: (inout ExpressionParser) throws -> T) throws -> [T] {
        var items: [T] = []
        while !accept(.op(close)) {
            items.append(try item(&self))
            if !accept(.op(",")) { try expect(.op(close)); break }
        }
        return items
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

    /// `operand (op operand)*`, left-associative, for the operators or keywords in `ops`.
    private mutating func leftAssociative(_ ops: Set<String>, _ operand: (inout Self) throws -> TemplateExpr) throws -> TemplateExpr {
        var e = try operand(&self)
        while let op = peek?.word, ops.contains(op) {
            i += 1
            e = .binary(op, e, try operand(&self))
        }
        return e
    }

    mutating func parseOr() throws -> TemplateExpr {
        try leftAssociative(["or"]) { try $0.leftAssociative(["and"]) { try $0.parseNot() } }
    }

    mutating func parseNot() throws -> TemplateExpr {
        if accept(.name("not")) { return .not(try parseNot()) }
        return try parseComparison()
    }

    mutating func parseComparison() throws -> TemplateExpr {
        var e = try parseArithmetic()
        while true {
            if let op = peek?.word, ["==", "!=", "<", ">", "<=", ">=", "in"].contains(op) {
                i += 1
                e = .binary(op, e, try parseArithmetic())
            } else if peek == .name("not"), next == .name("in") {
                i += 2
                e = .not(.binary("in", e, try parseArithmetic()))
            } else if accept(.name("is")) {
                let negated = accept(.name("not"))
                e = .test(e, try name(), try testArguments(), negated: negated)
            } else {
                return e
            }
        }
    }

    /// `is test(args)`, or `is test arg` when a name, string or integer follows.
    private mutating func testArguments() throws -> [TemplateExpr] {
        if accept(.op("(")) { return try arguments().positional }
        switch peek {
        case .name(let n)? where !["and", "or", "else", "if", "not", "in", "is"].contains(n): return [try parseArithmetic()]
        case .string?, .int?: return [try parseArithmetic()]
        default: return []
        }
    }

    /// The arithmetic operators, loosest first (all left-associative, `**` too, as in Jinja).
    private static let arithmeticLevels: [Set<String>] = [["+", "-"], ["~"], ["*", "/", "//", "%"], ["**"]]

    mutating func parseArithmetic(level: Int = 0) throws -> TemplateExpr {
        guard level < Self.arithmeticLevels.count else { return try parseUnary() }
        return try leftAssociative(Self.arithmeticLevels[level]) { try $0.parseArithmetic(level: level + 1) }
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
            let args: Arguments = accept(.op("(")) ? try arguments() : ([], [])
            e = .filter(e, n, args.positional, args.keyword)
        }
        return e
    }

    mutating func postfix(_ base: TemplateExpr) throws -> TemplateExpr {
        var e = base
        while true {
            if accept(.op(".")) {
                if case .int(let k)? = peek { i += 1; e = .index(e, .literal(.int(k))); continue }
                e = .index(e, .literal(.string(try name())))
            } else if accept(.op("[")) {
                e = try subscripted(e)
            } else if accept(.op("(")) {
                let args = try arguments()
                e = .call(e, args.positional, args.keyword)
            } else {
                return e
            }
        }
    }

    /// `base[key]` or `base[start:stop:step]`, after the `[`.
    private mutating func subscripted(_ base: TemplateExpr) throws -> TemplateExpr {
        var parts: [TemplateExpr?] = [nil]  // split at each `:`
        while !accept(.op("]")) {
            if accept(.op(":")) { parts.append(nil); continue }
            guard parts[parts.count - 1] == nil else { throw error("expected ']'") }
            parts[parts.count - 1] = try parseConditional()
        }
        if parts.count == 1, let key = parts[0] { return .index(base, key) }
        guard parts.count > 1 else { throw error("empty subscript") }
        guard parts.count <= 3 else { throw error("bad slice") }
        parts += [nil, nil]
        return .slice(base, parts[0], parts[1], parts[2])
    }

    /// Arguments after `(` through `)`.
    mutating func arguments() throws -> Arguments {
        var args: Arguments = ([], [])
        _ = try commaSeparated(until: ")") { p in
            if case .name(let n)? = p.peek, p.next == .op("=") {
                p.i += 2
                args.keyword.append((n, try p.parseConditional()))
            } else {
                args.positional.append(try p.parseConditional())
            }
        }
        return args
    }

    private static let constants: [String: TemplateValue] = [
        "true": .bool(true), "True": .bool(true), "false": .bool(false), "False": .bool(false), "none": .none, "None": .none,
    ]

    mutating func primary() throws -> TemplateExpr {
        guard let t = peek else { throw error("unexpected end of expression") }
        i += 1
        switch t {
        case .string(var s):
            while case .string(let more)? = peek { s += more; i += 1 }  // adjacent literals concatenate
            return .literal(.string(s))
        case .int(let v): return .literal(.int(v))
        case .double(let v): return .literal(.double(v))
        case .name(let n): return Self.constants[n].map { .literal($0) } ?? .name(n)
        case .op("("):
            if accept(.op(")")) { return .list([]) }
            let e = try parseExpression()
            try expect(.op(")"))
            return e
        case .op("["):
            return .list(try commaSeparated(until: "]") { try $0.parseConditional() })
        case .op("{"):
            return .dict(try commaSeparated(until: "}") { p in
                let key = try p.parseConditional()
                try p.expect(.op(":"))
                return (key, try p.parseConditional())
            })
        default:
            throw error("unexpected \(t)")
        }
    }
}
