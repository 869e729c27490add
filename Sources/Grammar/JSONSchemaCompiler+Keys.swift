import JSON

extension JSONSchemaCompiler {
    private static let shortEscapes: [(String, UInt32)] = [
        ("\\\"", 0x22), ("\\\\", 0x5C), ("\\/", 0x2F), ("\\b", 0x08), ("\\f", 0x0C), ("\\n", 0x0A), ("\\r", 0x0D), ("\\t", 0x09),
    ]

    /// A quoted object key that is none of `names` (so an extra property cannot repeat a
    /// listed one with a value its schema forbids). Decided character by character along a
    /// trie of the names; the character where a key leaves the trie cannot be a `\u` escape
    /// (which could spell a listed name another way).
    mutating func extraKey(excluding names: [String]) -> GrammarExpr {
        if names.isEmpty { return string(min: 0, max: options.maxStringLength) }
        let tail = GrammarExpr.seq([.star(stringChar), .literal("\"")])
        return .seq([.literal("\""), keyNode(names.map { Array($0.unicodeScalars) }, depth: 0, tail: tail)])
    }

    /// Keys continuing the common prefix (length `depth`) of `names`, closing quote included.
    private mutating func keyNode(_ names: [[Unicode.Scalar]], depth: Int, tail: GrammarExpr) -> GrammarExpr {
        var children: [UInt32: [[Unicode.Scalar]]] = [:]
        var terminal = false
        for n in names {
            if n.count == depth { terminal = true } else { children[n[depth].value, default: []].append(n) }
        }
        var options: [GrammarExpr] = terminal ? [] : [.literal("\"")]
        let childSet = CodePointSet(children.keys.map { $0...$0 })
        let special = CodePointSet([0x00...0x1F, 0x22...0x22, 0x5C...0x5C])
        var leave: [GrammarExpr] = [.chars(special.inverted.subtracting(childSet))]
        for (text, c) in Self.shortEscapes where !childSet.contains(c) { leave.append(.literal(text)) }
        options.append(.seq([.alt(leave), tail]))
        for c in children.keys.sorted() {
            let next = keyNode(children[c] ?? [], depth: depth + 1, tail: tail)
            let spelled = JSON.string(String(Unicode.Scalar(c).map { Character($0) } ?? " ")).serialized
            options.append(.seq([.literal(String(spelled.dropFirst().dropLast())), next]))
        }
        return .ref(rules.add("key", .alt(options)))
    }
}
