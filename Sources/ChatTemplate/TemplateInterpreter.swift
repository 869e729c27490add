import Foundation

/// Walks the statement tree with a stack of scopes and writes the output.
final class TemplateInterpreter {
    private enum Flow: Error { case breakLoop, continueLoop }

    private var scopes: [[String: TemplateValue]]
    private var output = ""
    /// Guards against runaway templates (deep macro recursion, huge loops).
    private var budget = 5_000_000

    init(globals: [String: TemplateValue]) { scopes = [globals] }

    func render(_ nodes: [TemplateNode]) throws -> String {
        do { try run(nodes) } catch is Flow { throw TemplateError.runtime("break or continue outside a loop") }
        return output
    }

    private func lookup(_ name: String) -> TemplateValue {
        for scope in scopes.reversed() { if let v = scope[name] { return v } }
        return TemplateBuiltins.global(name)
    }

    private func assign(_ name: String, _ value: TemplateValue) { scopes[scopes.count - 1][name] = value }

    private func run(_ nodes: [TemplateNode]) throws {
        for node in nodes {
            budget -= 1
            guard budget > 0 else { throw TemplateError.runtime("the template did too much work") }
            switch node {
            case .text(let t): output += t
            case .output(let e): output += try eval(e).text
            case .conditional(let branches, let otherwise):
                try run(try branches.first { try eval($0.0).isTruthy }?.1 ?? otherwise)
            case .loop(let targets, let iterable, let filter, let body, let otherwise):
                try loop(targets, try eval(iterable), filter, body, otherwise)
            case .set(let name, nil, let value): assign(name, try eval(value))
            case .set(let name, let attribute?, let value):
                let v = try eval(value)
                guard case .namespace(let ns) = lookup(name) else {
                    throw TemplateError.runtime("cannot set an attribute of \(name): it is not a namespace")
                }
                if let i = ns.fields.firstIndex(where: { $0.0 == attribute }) { ns.fields[i].1 = v } else { ns.fields.append((attribute, v)) }
            case .setBlock(let name, let body):
                assign(name, .string(try captured(body)))
            case .macro(let name, let parameters, let body):
                assign(name, macro(parameters, body))
            case .breakLoop: throw Flow.breakLoop
            case .continueLoop: throw Flow.continueLoop
            }
        }
    }

    private func loop(_ targets: [String], _ iterable: TemplateValue, _ filter: TemplateExpr?, _ body: [TemplateNode],
                      _ otherwise: [TemplateNode]) throws {
        var items = try iterable.iterated()
        if case .object(let o) = iterable, targets.count == 2 { items = o.map { .array([.string($0.0), $0.1]) } }
        scopes.append([:])
        defer { scopes.removeLast() }
        func bind(_ item: TemplateValue) throws {
            if targets.count == 1 { assign(targets[0], item); return }
            guard case .array(let parts) = item, parts.count == targets.count else {
                throw TemplateError.runtime("cannot unpack \(item.typeName) into \(targets.count) names")
            }
            for (t, v) in zip(targets, parts) { assign(t, v) }
        }
        if let filter {
            items = try items.filter { item in try bind(item); return try eval(filter).isTruthy }
        }
        guard !items.isEmpty else { try run(otherwise); return }
        let n = items.count
        for (i, item) in items.enumerated() {
            try bind(item)
            assign("loop", .object([
                ("index", .int(i + 1)), ("index0", .int(i)), ("revindex", .int(n - i)), ("revindex0", .int(n - i - 1)),
                ("first", .bool(i == 0)), ("last", .bool(i == n - 1)), ("length", .int(n)),
                ("previtem", i > 0 ? items[i - 1] : .undefined), ("nextitem", i + 1 < n ? items[i + 1] : .undefined),
            ]))
            do { try run(body) } catch Flow.breakLoop { break } catch Flow.continueLoop { continue }
        }
    }

    private func macro(_ parameters: [(String, TemplateExpr?)], _ body: [TemplateNode]) -> TemplateValue {
        .function(TemplateValue.Function { [unowned self] args, kwargs in
            var scope: [String: TemplateValue] = [:]
            for (i, (name, fallback)) in parameters.enumerated() {
                scope[name] = try i < args.count ? args[i] : kwargs.first { $0.0 == name }?.1 ?? fallback.map(eval) ?? .undefined
            }
            guard scopes.count < 200 else { throw TemplateError.runtime("macro recursion too deep") }
            scopes.append(scope)
            defer { scopes.removeLast() }
            return .string(try captured(body))
        })
    }

    /// What `body` writes, kept out of the output.
    private func captured(_ body: [TemplateNode]) throws -> String {
        let saved = output
        output = ""
        try run(body)
        defer { output = saved }
        return output
    }

    func eval(_ e: TemplateExpr) throws -> TemplateValue {
        switch e {
        case .literal(let v): return v
        case .name(let n): return lookup(n)
        case .list(let items): return .array(try items.map(eval))
        case .dict(let pairs): return .object(try pairs.map { k, v in (try eval(k).text, try eval(v)) })
        case .index(let base, let key): return TemplateBuiltins.subscriptValue(try eval(base), try eval(key))
        case .slice(let base, let start, let stop, let step):
            return try TemplateBuiltins.slice(try eval(base), try start.map(eval), try stop.map(eval), try step.map(eval))
        case .call(let callee, let args, let kwargs):
            guard case .function(let fn) = try eval(callee) else { throw TemplateError.runtime("\(describe(callee)) is not callable") }
            return try fn.call(try args.map(eval), try kwargs.map { ($0.0, try eval($0.1)) })
        case .filter(let base, let name, let args, let kwargs):
            return try TemplateBuiltins.filter(name, try eval(base), try args.map(eval), try kwargs.map { ($0.0, try eval($0.1)) })
        case .test(let base, let name, let args, let negated):
            return .bool(try TemplateBuiltins.test(name, try eval(base), try args.map(eval)) != negated)
        case .not(let x): return .bool(!(try eval(x).isTruthy))
        case .negate(let x):
            switch try eval(x) {
            case .int(let i) where i != .min: return .int(-i)
            case .double(let d): return .double(-d)
            case let v: throw TemplateError.runtime("cannot negate \(v.typeName)")
            }
        case .conditional(let c, let then, let otherwise):
            return try eval(c).isTruthy ? try eval(then) : try otherwise.map(eval) ?? .undefined
        case .binary(let op, let a, let b):
            let l = try eval(a)
            if op == "and" { return l.isTruthy ? try eval(b) : l }
            if op == "or" { return l.isTruthy ? l : try eval(b) }
            return try TemplateBuiltins.binary(op, l, try eval(b))
        }
    }

    private func describe(_ e: TemplateExpr) -> String {
        switch e {
        case .name(let n): return n
        case .index(let b, .literal(.string(let n))): return describe(b) + "." + n
        default: return "expression"
        }
    }
}
