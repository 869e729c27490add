import JSON

extension JSONSchemaCompiler {
    /// `{ ws members ws }`: the schema's properties in its order, required ones present,
    /// then other properties when `additionalProperties` allows them.
    mutating func object(_ s: JSON, path: String) throws -> GrammarExpr {
        var properties: [(name: String, value: GrammarExpr)] = []
        for (name, sub) in s["properties"]?.objectValue ?? [] {
            properties.append((name, try schema(sub, path: path + "/properties/" + Self.escapePointer(name))))
        }
        let requiredList = s["required"]?.arrayValue ?? []
        let required = Set(requiredList.compactMap(\.stringValue))
        guard required.count == requiredList.count else {
            throw GrammarError.invalidSchema(message: "required must be a list of distinct strings", path: path + "/required")
        }
        let extra: GrammarExpr?
        switch s["additionalProperties"] {
        case .none: extra = options.strictProperties && s["properties"] != nil ? nil : anyValue
        case .bool(let allowed)?: extra = allowed ? anyValue : nil
        case let sub?: extra = .ref(rules.add(path + "/additionalProperties", try schema(sub, path: path + "/additionalProperties")))
        }
        for name in requiredList.compactMap(\.stringValue) where !properties.contains(where: { $0.name == name }) {
            // A required name the schema does not describe: additionalProperties must allow it.
            guard let extra else {
                throw GrammarError.invalidSchema(message: "required property \"\(name)\" is not allowed by additionalProperties", path: path + "/required")
            }
            properties.append((name, extra))
        }
        let w = ws
        var members: [GrammarExpr] = []
        for p in properties {
            members.append(.seq([.literal(JSON.string(p.name).serialized), .literal(":"), w, .ref(rules.add(path + "/" + p.name, p.value))]))
        }
        var tails: [Int: GrammarExpr] = [:]  // key: index * 2 + (first ? 1 : 0)
        let body = memberList(members, required: properties.map { required.contains($0.name) }, extra: extra,
                              from: 0, first: true, tails: &tails, path: path, names: properties.map(\.name))
        return .seq([.literal("{"), w, body, w, .literal("}")])
    }

    /// Members `i...` as a rule: K(i, first) = sep P_i K(i+1, false) | K(i+1, first) (the
    /// second only for an optional property); after the last, other properties if allowed.
    private mutating func memberList(_ members: [GrammarExpr], required: [Bool], extra: GrammarExpr?, from i: Int,
                                     first: Bool, tails: inout [Int: GrammarExpr], path: String, names: [String]) -> GrammarExpr {
        let key = i * 2 + (first ? 1 : 0)
        if let t = tails[key] { return t }
        let w = ws
        let sep: [GrammarExpr] = first ? [] : [.literal(","), w]
        let expr: GrammarExpr
        if i == members.count {
            guard let extra else { return .empty }
            let member = GrammarExpr.seq([extraKey(excluding: names), .literal(":"), w, extra])
            let bound = options.maxItems
            let more = GrammarExpr.rep(.seq([.literal(","), w, member]), min: 0, max: bound.map { first ? $0 - 1 : $0 })
            expr = first ? .optional(.seq([member, more])) : more
        } else {
            let next = memberList(members, required: required, extra: extra, from: i + 1, first: false, tails: &tails, path: path, names: names)
            let present = GrammarExpr.seq(sep + [members[i], next])
            if required[i] {
                expr = present
            } else {
                let skipped = memberList(members, required: required, extra: extra, from: i + 1, first: first, tails: &tails, path: path, names: names)
                expr = .alt([present, skipped])
            }
        }
        let r = GrammarExpr.ref(rules.add("\(path)/members\(i)", expr))
        tails[key] = r
        return r
    }

    static func escapePointer(_ s: String) -> String { s.replacing("~", with: "~0").replacing("/", with: "~1") }
}
