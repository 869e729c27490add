/// Splits text into raw-text fragments and special (added) tokens, in one of two ways:
/// - `longestFirst`, llama.cpp's: each special spelling, longest first, cuts every raw
///   fragment where it occurs;
/// - `leftmostLongest`, Hugging Face `tokenizers`': one left-to-right scan, where at the
///   leftmost position any spelling matches the longest one wins; a token may take in the
///   whitespace on its left (`lstrip`) or right (`rstrip`), or match only as a whole word
///   (`singleWord`).
enum Fragment: Equatable {
    case text([UInt8])
    case token(Int32)
}

struct SpecialTokenSplitter {
    /// One spelling to split out, with Hugging Face's added-token options.
    struct Entry {
        var id: Int32
        var bytes: [UInt8]
        var lstrip = false
        var rstrip = false
        var singleWord = false
    }

    enum Matching { case longestFirst, leftmostLongest }

    let vocabulary: Vocabulary
    let matching: Matching
    /// longestFirst: in `vocabulary.specialIDs` order; leftmostLongest: longest first.
    private let entries: [Entry]
    /// First byte → indices of `entries` that start with it.
    private let byFirstByte: [[Int]]

    /// llama.cpp's splitting of the vocabulary's control, user-defined and unknown tokens;
    /// those in `rstrip` swallow the ASCII whitespace after them (llama.cpp's Phi-3 rule).
    init(vocabulary: Vocabulary, rstrip: Set<Int32> = []) {
        self.init(vocabulary: vocabulary, matching: .longestFirst, entries: vocabulary.specialIDs.map {
            Entry(id: $0, bytes: Array(vocabulary.tokens[Int($0)].utf8), rstrip: rstrip.contains($0))
        })
    }

    init(vocabulary: Vocabulary, matching: Matching, entries: [Entry]) {
        self.vocabulary = vocabulary
        self.matching = matching
        self.entries = matching == .longestFirst ? entries : entries.filter { !$0.bytes.isEmpty }.sorted { $0.bytes.count > $1.bytes.count }
        var index = [[Int]](repeating: [], count: 256)
        for (i, e) in self.entries.enumerated() { if let b = e.bytes.first { index[Int(b)].append(i) } }
        byFirstByte = index
    }

    var isEmpty: Bool { entries.isEmpty }

    /// With `parseSpecial` false only user-defined (non-special) tokens are split out;
    /// control spellings stay text, as llama.cpp and `encode_special_tokens` do.
    func split(_ text: [UInt8], parseSpecial: Bool) -> [Fragment] {
        matching == .longestFirst ? splitLongestFirst(text, parseSpecial: parseSpecial) : splitLeftmostLongest(text, parseSpecial: parseSpecial)
    }

    private func splitLongestFirst(_ text: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = text.isEmpty ? [] : [.text(text)]
        var present = [Bool](repeating: false, count: 256)
        for b in text { present[Int(b)] = true }
        for entry in entries {
            let (id, pattern) = (entry.id, entry.bytes)
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
                        while entry.rstrip && i < raw.count && [9, 10, 11, 12, 13, 32].contains(raw[i]) { i += 1 }
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

    /// `tokenizers`' AddedVocabulary::find_matches: a match that is skipped (a special token
    /// while not parsing them, or a single-word token inside a word) still consumes its bytes.
    private func splitLeftmostLongest(_ text: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var out: [Fragment] = []
        var textStart = 0
        var i = 0
        while i < text.count {
            guard let e = byFirstByte[Int(text[i])].lazy.map({ self.entries[$0] }).first(where: { i + $0.bytes.count <= text.count
                && text[i ..< i + $0.bytes.count].elementsEqual($0.bytes) }) else { i += 1; continue }
            var (start, stop) = (i, i + e.bytes.count)
            i = stop
            if !parseSpecial && vocabulary.isControl(e.id) { continue }
            if e.singleWord && (UTF8Scan.isWordCharacter(UTF8Scan.scalar(before: start, in: text))
                                || UTF8Scan.isWordCharacter(UTF8Scan.scalar(at: stop, in: text))) { continue }
            if e.lstrip { start = max(UTF8Scan.whitespaceStart(before: start, in: text), textStart) }
            if e.rstrip { stop = UTF8Scan.whitespaceEnd(from: stop, in: text) }
            if textStart < start { out.append(.text(Array(text[textStart ..< start]))) }
            out.append(.token(e.id))
            textStart = stop
        }
        if textStart < text.count { out.append(.text(Array(text[textStart...]))) }
        return out
    }
}
