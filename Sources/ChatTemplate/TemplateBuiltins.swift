import Foundation

/// Global functions, methods of strings and dicts, filters, tests and operators.
enum TemplateBuiltins {
    static func fn(_ body: @escaping ([TemplateValue], [(String, TemplateValue)]) throws -> TemplateValue) -> TemplateValue {
        .function(TemplateValue.Function(call: body))
    }

    static func global(_ name: String) -> TemplateValue {
        switch name {
        case "raise_exception": return fn { args, _ in throw TemplateError.raised(args.first?.text ?? "the template raised an exception") }
        case "namespace": return fn { _, kwargs in .namespace(TemplateValue.Namespace(kwargs)) }
        case "dict": return fn { _, kwargs in .object(kwargs) }
        case "range":
            return fn { args, _ in
                let ints = try args.map { v -> Int in
                    guard let i = v.integer else { throw TemplateError.runtime("range() takes integers") }
                    return i
                }
                let (start, stop) = ints.count == 1 ? (0, ints[0]) : (ints.first ?? 0, ints.count > 1 ? ints[1] : 0)
                guard let values = steps(start, stop, by: ints.count > 2 ? ints[2] : 1, limit: 100_000) else {
                    throw TemplateError.runtime("bad range()")
                }
                return .array(values.map { .int($0) })
            }
        case "strftime_now":
            return strftime {
                var t = time(nil), tmv = tm()
                localtime_r(&t, &tmv)
                return tmv
            }
        default: return .undefined
        }
    }

    /// Python's `range(start, stop, step)` without overflow on any ints; nil when `step` is 0 or there are more than `limit` values.
    static func steps(_ start: Int, _ stop: Int, by step: Int, limit: UInt = .max) -> [Int]? {
        guard step != 0 else { return nil }
        guard step > 0 ? start < stop : start > stop else { return [] }
        let span = UInt(bitPattern: step > 0 ? stop &- start : start &- stop)  // exact: 0 < stop - start < 2^64
        let count = (span - 1) / step.magnitude + 1
        guard count <= limit else { return nil }
        return (0 ..< Int(count)).map { start &+ $0 &* step }  // each value lies between start and stop
    }

    /// `strftime_now(format)`: C's `strftime` of the broken-down time `now` gives.
    static func strftime(_ now: @escaping () -> tm) -> TemplateValue {
        fn { args, _ in
            var time = now()
            var buf = [Int8](repeating: 0, count: 256)  // (256,) the formatted C string
            let n = Foundation.strftime(&buf, buf.count, args.first?.text ?? "%Y-%m-%d", &time)
            return .string(String(decoding: buf[0 ..< n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    /// String methods that are also filters and take no arguments.
    static let caseChanges: [String: @Sendable (String) -> String] = [
        "upper": { $0.uppercased() }, "lower": { $0.lowercased() }, "title": { title($0) }, "capitalize": { capitalize($0) },
    ]
    static let whitespace = Set(" \t\n\r\u{0B}\u{0C}".unicodeScalars)

    /// The methods, by the `typeName` of their value, that do what the filter of their name does.
    private static let filterMethods: [String: Set<String>] = ["string": ["upper", "lower", "title", "capitalize", "replace"], "dict": ["items"]]

    /// `value.name` when `name` is a method of strings or dicts (as a bound function).
    static func method(_ value: TemplateValue, _ name: String) -> TemplateValue? {
        if filterMethods[value.typeName]?.contains(name) == true { return fn { args, kwargs in try filter(name, value, args, kwargs) } }
        switch value {
        case .string(let s):
            switch name {
            case "strip", "lstrip", "rstrip":
                return fn { args, _ in
                    let chars = args.first.map { Set($0.text.unicodeScalars) } ?? whitespace
                    return .string(strip(s, chars, left: name != "rstrip", right: name != "lstrip"))
                }
            case "startswith": return fn { args, _ in .bool(args.contains { s.hasPrefix($0.text) }) }
            case "endswith": return fn { args, _ in .bool(args.contains { s.hasSuffix($0.text) }) }
            case "split": return fn { args, _ in
                guard case .string(let d)? = args.first else { return .array(s.split(whereSeparator: \.isWhitespace).map { .string(String($0)) }) }
                return .array(s.components(separatedBy: d).map { .string($0) })
            }
            case "join": return fn { args, _ in .string(try (args.first ?? .array([])).iterated().map(\.text).joined(separator: s)) }
            case "count": return fn { args, _ in .int(s.components(separatedBy: args.first?.text ?? " ").count - 1) }
            case "find": return fn { args, _ in
                guard let r = s.range(of: args.first?.text ?? "") else { return .int(-1) }
                return .int(s.unicodeScalars.distance(from: s.startIndex, to: r.lowerBound))
            }
            default: return nil
            }
        case .object(let o):
            switch name {
            case "keys": return fn { _, _ in .array(o.map { .string($0.0) }) }
            case "values": return fn { _, _ in .array(o.map { $0.1 }) }
            case "get": return fn { args, _ in
                let v = value[args.first?.text ?? ""]
                return v.isDefined ? v : (args.count > 1 ? args[1] : .none)
            }
            default: return nil
            }
        default: return nil
        }
    }

    static func strip(_ s: String, _ chars: Set<Unicode.Scalar>, left: Bool, right: Bool) -> String {
        var u = Array(s.unicodeScalars)[...]
        if left { while let f = u.first, chars.contains(f) { u = u.dropFirst() } }
        if right { while let l = u.last, chars.contains(l) { u = u.dropLast() } }
        return String(String.UnicodeScalarView(u))
    }

    static func capitalize(_ s: String) -> String {
        guard let f = s.first else { return s }
        return f.uppercased() + s.dropFirst().lowercased()
    }

    static func title(_ s: String) -> String {
        var out = "", startOfWord = true
        for c in s {
            out += startOfWord ? c.uppercased() : c.lowercased()
            startOfWord = !c.isLetter && !c.isNumber
        }
        return out
    }

    static func subscriptValue(_ base: TemplateValue, _ key: TemplateValue) -> TemplateValue {
        switch (base, key) {
        case (.array(let a), .int(let i)):
            let j = i < 0 ? a.count + i : i
            return j >= 0 && j < a.count ? a[j] : .undefined
        case (.string, .int): return subscriptValue(.array((try? base.iterated()) ?? []), key)
        case (_, .string(let k)):  // as Jinja: an item, else an attribute (a method)
            let v = base[k]
            return v.isDefined ? v : (method(base, k) ?? .undefined)
        default: return .undefined
        }
    }

    static func slice(_ base: TemplateValue, _ start: TemplateValue?, _ stop: TemplateValue?, _ step: TemplateValue?) throws -> TemplateValue {
        func int(_ v: TemplateValue?) throws -> Int? {
            guard let v, v.isDefined, !v.equals(.none) else { return nil }
            guard let i = v.integer else { throw TemplateError.runtime("slice indices must be integers") }
            return i
        }
        guard ["list", "string"].contains(base.typeName) else { throw TemplateError.runtime("cannot slice \(base.typeName)") }
        let items = try base.iterated(), n = items.count, st = try int(step) ?? 1
        func clamp(_ v: Int?, _ def: Int) -> Int {
            guard var x = v else { return def }
            if x < 0 { x += n }
            return st > 0 ? min(max(x, 0), n) : min(max(x, -1), n - 1)
        }
        let from = clamp(try int(start), st > 0 ? 0 : n - 1), to = clamp(try int(stop), st > 0 ? n : -1)
        guard let picked = steps(from, to, by: st)?.map({ items[$0] }) else { throw TemplateError.runtime("slice step cannot be zero") }
        if case .string = base { return .string(picked.map(\.text).joined()) }
        return .array(picked)
    }

    static func binary(_ op: String, _ a: TemplateValue, _ b: TemplateValue) throws -> TemplateValue {
        switch op {
        case "==": return .bool(a.equals(b))
        case "!=": return .bool(!a.equals(b))
        case "~": return .string(a.text + b.text)
        case "in": return .bool(try contains(b, a))
        case "<", ">", "<=", ">=": return .bool(try compare(op, a, b))
        default:
            if op == "+", case .string(let x) = a, case .string(let y) = b { return .string(x + y) }
            if op == "+", case .array(let x) = a, case .array(let y) = b { return .array(x + y) }
            return try arithmetic(op, a, b)
        }
    }

    /// Python's `item in container`.
    static func contains(_ container: TemplateValue, _ item: TemplateValue) throws -> Bool {
        switch container {
        case .string(let s): return s.contains(item.text) || item.text.isEmpty
        case .array(let items): return items.contains { $0.equals(item) }
        case .object, .namespace: return container[item.text].isDefined
        case .undefined: return false
        default: throw TemplateError.runtime("'in' needs a string, list or dict, not \(container.typeName)")
        }
    }

    /// `<`, `>`, `<=`, `>=` between two strings or two numbers.
    static func compare(_ op: String, _ a: TemplateValue, _ b: TemplateValue) throws -> Bool {
        func holds<T: Comparable>(_ x: T, _ y: T) -> Bool { op == "<" ? x < y : op == ">" ? x > y : op == "<=" ? x <= y : x >= y }
        if case .string(let x) = a, case .string(let y) = b { return holds(x, y) }
        guard let x = a.numeric, let y = b.numeric else { throw TemplateError.runtime("cannot compare \(a.typeName) with \(b.typeName)") }
        return holds(x, y)
    }

    /// Arithmetic: ints stay ints except for '/', bools count as ints; a string times an int repeats it.
    private static func arithmetic(_ op: String, _ a: TemplateValue, _ b: TemplateValue) throws -> TemplateValue {
        if ["/", "//", "%"].contains(op), a.numeric != nil, b.numeric == 0 { throw TemplateError.runtime("division by zero") }
        if let x = a.integer, let y = b.integer, let f = intOperators[op] { return .int(try f(x, y)) }
        if op == "*", case .string(let s) = a, let n = b.integer { return .string(String(repeating: s, count: max(0, min(n, 100_000)))) }
        if let x = a.numeric, let y = b.numeric, let f = floatOperators[op] { return .double(f(x, y)) }
        throw TemplateError.runtime("unsupported operand types for \(op): \(a.typeName) and \(b.typeName)")
    }

    /// The operators of two ints that give an int (`+`, `-` and `*` wrap around on overflow).
    private static let intOperators: [String: @Sendable (Int, Int) throws -> Int] = [
        "+": { $0 &+ $1 }, "-": { $0 &- $1 }, "*": { $0 &* $1 },
        "//": { try floorDivision($0, $1).quotient }, "%": { try floorDivision($0, $1).remainder },
        "**": { x, y in
            let p = pow(Double(x), Double(y))
            guard p.magnitude < 9e18 else { throw TemplateError.runtime("integer overflow in \(x) ** \(y)") }
            return Int(p)
        },
    ]

    private static let floatOperators: [String: @Sendable (Double, Double) -> Double] = [
        "+": { $0 + $1 }, "-": { $0 - $1 }, "*": { $0 * $1 }, "/": { $0 / $1 },
        "//": { ($0 / $1).rounded(.down) }, "%": { $0 - ($0 / $1).rounded(.down) * $1 }, "**": { pow($0, $1) },
    ]

    /// Python's `x // y` and `x % y` (the quotient rounds down; `y` is not 0).
    private static func floorDivision(_ x: Int, _ y: Int) throws -> (quotient: Int, remainder: Int) {
        let (q, overflow) = x.dividedReportingOverflow(by: y)
        guard !overflow else { throw TemplateError.runtime("integer overflow in \(x) // \(y)") }
        let quotient = x % y != 0 && (x < 0) != (y < 0) ? q - 1 : q
        return (quotient, x &- quotient &* y)  // the true remainder fits: |remainder| < |y|
    }

    /// Tests of a value's type, by the `typeName`s each accepts.
    private static let typeTests: [String: Set<String>] = [
        "none": ["none"], "string": ["string"], "number": ["int", "float"], "integer": ["int"], "float": ["float"], "boolean": ["bool"],
        "mapping": ["dict", "namespace"], "sequence": ["list", "string", "dict"], "iterable": ["list", "string", "dict"], "callable": ["function"],
        "undefined": ["undefined"],
    ]

    static func test(_ name: String, _ v: TemplateValue, _ args: [TemplateValue]) throws -> Bool {
        if let types = typeTests[name] { return types.contains(v.typeName) }
        let arg = args.first ?? .undefined
        switch name {
        case "defined": return v.isDefined
        case "true", "false": return v.typeName == "bool" && v.isTruthy == (name == "true")
        case "odd", "even":
            guard let i = v.integer else { throw TemplateError.runtime("\(name) needs an integer") }
            return i.isMultiple(of: 2) == (name == "even")
        case "divisibleby":
            guard let i = v.integer, let d = arg.integer, d != 0 else { throw TemplateError.runtime("divisibleby needs integers") }
            return i.isMultiple(of: d)  // no overflow trap for Int.min and -1
        case "equalto", "eq", "sameas", "==": return v.equals(arg)
        case "ne", "!=": return !v.equals(arg)
        case "in": return try contains(arg, v)
        case "lower": return v.text == v.text.lowercased()
        case "upper": return v.text == v.text.uppercased()
        default: throw TemplateError.runtime("unknown test '\(name)'")
        }
    }
}
