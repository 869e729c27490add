/// Splits text into raw-text fragments and special tokens, the way llama.cpp does: each
/// special spelling, longest first, cuts every raw fragment where it occurs.
enum Fragment: Equatable {
    case text([UInt8])
    case token(Int32)
}

struct SpecialTokenSplitter {
    let vocabulary: Vocabulary
    /// Spellings as bytes, in `vocabulary.specialIDs` order.
    private let spellings: [(id: Int32, bytes: [UInt8])]

    init(vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        spellings = vocabulary.specialIDs.map { ($0, Array(vocabulary.tokens[Int($0)].utf8)) }
    }

    /// With `parseSpecial` false only user-defined tokens are split out (control and unknown
    /// spellings stay text), as llama.cpp does.
    func split(_ text: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = text.isEmpty ? [] : [.text(text)]
        var present = [Bool](repeating: false, count: 256)
        for b in text { present[Int(b)] = true }
        for (id, pattern) in spellings {
            if !parseSpecial && vocabulary.isControl(id) { continue }
            guard let first = pattern.first, present[Int(first)] else { continue }
            var out: [Fragment] = []
            out.reserveCapacity(fragments.count)
            for f in fragments {
                guard case .text(let raw) = f, raw.count >= pattern.count else { out.append(f); continue }
                var start = 0
                var i = 0
                while i + pattern.count <= raw.count {
                    if raw[i] == first && raw[i ..< i + pattern.count].elementsEqual(pattern) {
                        if i > start { out.append(.text(Array(raw[start ..< i]))) }
                        out.append(.token(id))
                        i += pattern.count
                        start = i
                    } else {
                        i += 1
                    }
                }
                if start < raw.count { out.append(.text(Array(raw[start...]))) }
            }
            fragments = out
        }
        return fragments
    }
}
