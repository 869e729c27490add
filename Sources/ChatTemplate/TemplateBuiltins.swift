import Foundation

/// Global functions, methods of strings and dicts, filters, tests and operators.
enum TemplateBuiltins {
    static func fn(_ body: @escaping ([TemplateValue], [(String, TemplateValue)]) throws -> TemplateValue) -> TemplateValue {
        .function(TemplateValue.Function(call: body))
    }

    static func global(_ name: String) -> TemplateValue {
        switch name {
        case "raise_exception":
            return fn { args, _ in throw TemplateError.raised(args.first?.text ?? "the template raised an exception") }
        case "namespace":
            return fn { _, kwargs in .namespace(TemplateValue.Namespace(kwargs)) }
        case "dict":
            return fn { _, kwargs in .object(kwargs) }
        case "range":
            return fn { args, _ in
                let ints = try args.map { v -> Int in guard case .int(let i) = v else { throw TemplateError.runtime("range() takes integers") }; return i }
                let (start, stop, step) = ints.count == 1 ? (0, ints[0], 1) : (ints.first ?? 0, ints.count > 1 ? ints[1] : 0, ints.count > 2 ? ints[2] : 1)
                guard step != 0, abs((stop - start) / step) <= 100_000 else { throw TemplateError.runtime("bad range()") }
                return .array(stride(from: start, to: stop, by: step).map { .int($0) })
            }
        case "strftime_now":
            return fn { args, _ in
                let format = args.first?.text ?? "%Y-%m-%d"
                var t = time(nil)
                var tmv = tm()
                localtime_r(&t, &tmv)
                var buf = [Int8](repeating: 0, count: 256)
                let n = strftime(&buf, buf.count, format, &tmv)
                return .string(String(decoding: buf[0 ..< n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        default: return .undefined
        }
    }

    /// `value.name` when `name` is a method of strings or dicts (as a bound function).
    static func method(_ value: TemplateValue, _ name: String) -> TemplateValue? {
        switch value {
        case .string(let s):
            switch name {
            case "strip", "lstrip", "rstrip":
                return fn { args, _ in
                    let chars = args.first.map { Set($0.text.unicodeScalars) } ?? Set(" \t\n\r\u{0B}\u{0C}".unicodeScalars)
                    return .string(strip(s, chars, left: name != "rstrip", right: name != "lstrip"))
                }
            case "upper": return fn { _, _ in .string(s.uppercased()) }
            case "lower": return fn { _, _ in .string(s.lowercased()) }
            case "title": return fn { _, _ in .string(title(s)) }
            case "capitalize": return fn { _, _ in .string(capitalize(s)) }
            case "startswith": return fn { args, _ in .bool(args.contains { s.hasPrefix($0.text) }) }
            case "endswith": return fn { args, _ in .bool(args.contains { s.hasSuffix($0.text) }) }
            case "replace": return fn { args, _ in
                guard args.count >= 2 else { throw TemplateError.runtime("replace() takes two arguments") }
                return .string(s.replacingOccurrences(of: args[0].text, with: args[1].text))
            }
            case "split": return fn { args, _ in
                if let sep = args.first, sep.isDefined, case .string(let d) = sep {
                    return .array(s.components(separatedBy: d).map { .string($0) })
                }
                return .array(s.split(whereSeparator: { $0.isWhitespace }).map { .string(String($0)) })
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
            case "items": return fn { _, _ in .array(o.map { .array([.string($0.0), $0.1]) }) }
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
        case (.string(let s), .int(let i)):
            let u = Array(s.unicodeScalars)
            let j = i < 0 ? u.count + i : i
            return j >= 0 && j < u.count ? .string(String(u[j])) : .undefined
        case (.object, .string(let k)), (.namespace, .string(let k)):
            let v = base[k]
            return v.isDefined ? v : (method(base, k) ?? .undefined)
        default: return .undefined
        }
    }

    static func slice(_ base: TemplateValue, _ start: TemplateValue?, _ stop: TemplateValue?, _ step: TemplateValue?) throws -> TemplateValue {
        func int(_ v: TemplateValue?) throws -> Int? {
            guard let v, v.isDefined, !v.equals(.none) else { return nil }
            guard case .int(let i) = v else { throw TemplateError.runtime("slice indices must be integers") }
            return i
        }
        let st = try int(step) ?? 1
        guard st != 0 else { throw TemplateError.runtime("slice step cannot be zero") }
        func indices(_ n: Int) throws -> [Int] {
            func clamp(_ v: Int?, _ def: Int) -> Int {
                guard var x = v else { return def }
                if x < 0 { x += n }
                return st > 0 ? min(max(x, 0), n) : min(max(x, -1), n - 1)
            }
            let a = clamp(try int(start), st > 0 ? 0 : n - 1), b = clamp(try int(stop), st > 0 ? n : -1)
            return Array(stride(from: a, to: b, by: st))
        }
        switch base {
        case .array(let items): return .array(try indices(items.count).map { items[$0] })
        case .string(let s):
            let u = Array(s.unicodeScalars)
            return .string(String(String.UnicodeScalarView(try indices(u.count).map { u[$0] })))
        default: throw TemplateError.runtime("cannot slice \(base.typeName)")
        }
    }

    static func binary(_ op: String, _ a: TemplateValue, _ b: TemplateValue) throws -> TemplateValue {
        switch op {
        case "==": return .bool(a.equals(b))
        case "!=": return .bool(!a.equals(b))
        case "~": return .string(a.text + b.text)
        case "in":
            switch b {
            case .string(let s): return .bool(s.contains(a.text) || a.text.isEmpty)
            case .array(let items): return .bool(items.contains { $0.equals(a) })
            case .object, .namespace: return .bool(b[a.text].isDefined)
            case .undefined: return .bool(false)
            default: throw TemplateError.runtime("'in' needs a string, list or dict, not \(b.typeName)")
            }
        case "<", ">", "<=", ">=":
            let r: Bool
            if case .string(let x) = a, case .string(let y) = b {
                r = op == "<" ? x < y : op == ">" ? x > y : op == "<=" ? x <= y : x >= y
            } else if let x = a.numeric, let y = b.numeric {
                r = op == "<" ? x < y : op == ">" ? x > y : op == "<=" ? x <= y : x >= y
            } else {
                throw TemplateError.runtime("cannot compare \(a.typeName) with \(b.typeName)")
            }
            return .bool(r)
        case "+":
            switch (a, b) {
            case (.string(let x), .string(let y)): return .string(x + y)
            case (.array(let x), .array(let y)): return .array(x + y)
            default: break
            }
        default: break
        }
        // Arithmetic: ints stay ints except for '/', bools count as ints.
        func asInt(_ v: TemplateValue) -> Int? {
            switch v { case .int(let i): return i; case .bool(let x): return x ? 1 : 0; default: return nil }
        }
        if let x = asInt(a), let y = asInt(b), op != "/" {
            switch op {
            case "+": return .int(x &+ y)
            case "-": return .int(x &- y)
            case "*": return .int(x &* y)
            case "//", "%":
                guard y != 0 else { throw TemplateError.runtime("division by zero") }
                let q = Int((Double(x) / Double(y)).rounded(.down))
                return .int(op == "//" ? q : x - q * y)
            case "**": return .int(Int(pow(Double(x), Double(y))))
            default: break
            }
        }
        if op == "*", case .string(let s) = a, let n = asInt(b) { return .string(String(repeating: s, count: max(0, min(n, 100_000)))) }
        if let x = a.numeric, let y = b.numeric {
            switch op {
            case "+": return .double(x + y)
            case "-": return .double(x - y)
            case "*": return .double(x * y)
            case "/":
                guard y != 0 else { throw TemplateError.runtime("division by zero") }
                return .double(x / y)
            case "//": guard y != 0 else { throw TemplateError.runtime("division by zero") }; return .double((x / y).rounded(.down))
            case "%": guard y != 0 else { throw TemplateError.runtime("division by zero") }; return .double(x - (x / y).rounded(.down) * y)
            case "**": return .double(pow(x, y))
            default: break
            }
        }
        throw TemplateError.runtime("unsupported operand types for \(op): \(a.typeName) and \(b.typeName)")
    }

    static func test(_ name: String, _ v: TemplateValue, _ args: [TemplateValue]) throws -> Bool {
        switch name {
        case "defined": return v.isDefined
        case "undefined": return !v.isDefined
        case "none": if case .none = v { return true } else { return false }
        case "string": if case .string = v { return true } else { return false }
        case "number": switch v { case .int, .double: return true; default: return false }
        case "integer": if case .int = v { return true } else { return false }
        case "float": if case .double = v { return true } else { return false }
        case "boolean": if case .bool = v { return true } else { return false }
        case "true": if case .bool(true) = v { return true } else { return false }
        case "false": if case .bool(false) = v { return true } else { return false }
        case "mapping": switch v { case .object, .namespace: return true; default: return false }
        case "sequence", "iterable": switch v { case .array, .string, .object: return true; default: return false }
        case "callable": if case .function = v { return true } else { return false }
        case "odd", "even":
            guard case .int(let i) = v else { throw TemplateError.runtime("\(name) needs an integer") }
            return (i % 2 != 0) == (name == "odd")
        case "divisibleby":
            guard case .int(let i) = v, case .int(let d)? = args.first, d != 0 else { throw TemplateError.runtime("divisibleby needs integers") }
            return i % d == 0
        case "equalto", "eq", "sameas", "==": return v.equals(args.first ?? .undefined)
        case "ne", "!=": return !v.equals(args.first ?? .undefined)
        case "in": return try binary("in", v, args.first ?? .undefined).isTruthy
        case "lower": return v.text == v.text.lowercased()
        case "upper": return v.text == v.text.uppercased()
        default: throw TemplateError.runtime("unknown test '\(name)'")
        }
    }
}
