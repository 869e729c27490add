/// Splits text into words before byte-level BPE, as the model's pre-tokenizer regex does
/// (`tokenizer.ggml.pre`). Each pattern is a hand-written scanner over Unicode scalars
/// with the regex's own alternation order; a "word" never crosses a special token.
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    case gpt2
    /// Every number character alone (\p{N}), then GPT-2's pattern (SmolLM, StarCoder).
    case smollm
    /// Llama 3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
    case llama3
    /// Qwen 2: as Llama 3 with single digits (\p{N}).
    case qwen2
    /// GPT-4o (o200k: Phi-4-mini, Llama 4): words split at case changes, contractions kept on
    /// the word, up to three digits (see `CaseSplitScanner`).
    case gpt4o
    /// Tekken (Mistral Nemo): GPT-4o's without contractions, single digits.
    case tekken

    /// `tokenizer.ggml.pre` names mapped to a scanner; unknown names fall back to GPT-2's.
    public static func named(_ name: String?) -> PreTokenizer {
        switch name ?? "" {
        case "smollm", "starcoder", "codeshell", "refact", "exaone", "minerva": return .smollm
        case "llama3", "llama-bpe", "llama-v3", "dbrx", "smaug-bpe", "falcon3", "pixtral": return .llama3
        case "qwen2", "deepseek-r1-qwen", "hunyuan": return .qwen2
        case "gpt-4o", "llama4": return .gpt4o
        case "tekken": return .tekken
        default: return .gpt2
        }
    }

    /// Whether llama.cpp sets `ignore_merges` for this `tokenizer.ggml.pre` name (a word the
    /// vocabulary spells whole is one token), as these models' tokenizer.json files do.
    public static func ignoresMerges(_ name: String?) -> Bool {
        ["llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral", "tekken"].contains(name ?? "")
    }

    /// The regex the scanner implements, as tokenizer.json files spell it (nil: no single
    /// pattern; SmolLM's digits step comes first).
    public var pattern: String? {
        let tail = #"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        switch self {
        case .gpt2: return #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .smollm: return nil
        case .llama3: return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"# + tail
        case .qwen2: return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"# + tail
        case .gpt4o, .tekken:
            let upper = #"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]"#, lower = #"[\p{Ll}\p{Lm}\p{Lo}\p{M}]"#, lead = #"[^\r\n\p{L}\p{N}]?"#
            let suffix = self == .gpt4o ? #"(?i:'s|'t|'re|'ve|'m|'ll|'d)?"# : ""
            return lead + upper + "*" + lower + "+" + suffix + "|" + lead + upper + "+" + lower + "*" + suffix
                + (self == .gpt4o ? #"|\p{N}{1,3}"# : #"|\p{N}"#) + #"| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }

    /// The scanner for a tokenizer.json `Split` regex, if there is one.
    public init?(regex: String) {
        guard let match = Self.allCases.first(where: { $0.pattern == regex }) else { return nil }
        self = match
    }

    /// Words of `text` as scalar ranges, covering the text completely and in order.
    public func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var words: [String] = []
        func emit(_ r: Range<Int>) { words.append(String(String.UnicodeScalarView(scalars[r]))) }
        switch self {
        case .gpt2: Self.gpt2(scalars, 0 ..< scalars.count, emit)
        case .smollm:
            var start = 0
            for i in scalars.indices where CharClass.of(scalars[i]) == .number {
                if i > start { Self.gpt2(scalars, start ..< i, emit) }
                emit(i ..< i + 1)
                start = i + 1
            }
            if start < scalars.count { Self.gpt2(scalars, start ..< scalars.count, emit) }
        case .llama3: Self.llama3(scalars, 0 ..< scalars.count, maxDigits: 3, emit)
        case .qwen2: Self.llama3(scalars, 0 ..< scalars.count, maxDigits: 1, emit)
        case .gpt4o, .tekken:
            CaseSplitScanner(scalars, end: scalars.count, contractions: self == .gpt4o, maxDigits: self == .gpt4o ? 3 : 1)
                .scan(0 ..< scalars.count, emit)
        }
        return words
    }

    /// Apostrophe contractions; returns the match length or 0.
    static func contraction(_ s: [Unicode.Scalar], _ pos: Int, _ end: Int, caseInsensitive: Bool) -> Int {
        guard s[pos] == "'", pos + 1 < end else { return 0 }
        func lower(_ c: Unicode.Scalar) -> Unicode.Scalar {
            caseInsensitive && c.value >= 65 && c.value <= 90 ? Unicode.Scalar(c.value + 32)! : c
        }
        let a = lower(s[pos + 1])
        if a == "s" || a == "t" || a == "m" || a == "d" { return 2 }
        if pos + 2 < end {
            let b = lower(s[pos + 2])
            if (a == "r" && b == "e") || (a == "v" && b == "e") || (a == "l" && b == "l") { return 3 }
        }
        return 0
    }

    static func gpt2(_ s: [Unicode.Scalar], _ range: Range<Int>, _ emit: (Range<Int>) -> Void) {
        let end = range.upperBound
        func cls(_ i: Int) -> CharClass { i < end ? CharClass.of(s[i]) : .outOfRange }
        var pos = range.lowerBound
        while pos < end {
            let start = pos
            let c = s[pos]
            let n = contraction(s, pos, end, caseInsensitive: false)
            if n > 0 { emit(pos ..< pos + n); pos += n; continue }
            // An optional leading space belongs to the letter/number/symbol run after it.
            let lead = c == " " ? cls(pos + 1) : cls(pos)
            if lead == .letter || lead == .number || lead == .other {
                if c == " " { pos += 1 }
                while cls(pos) == lead { pos += 1 }
                emit(start ..< pos)
                continue
            }
            var ws = 0
            while cls(pos + ws) == .whitespace { ws += 1 }
            pos = whitespaceEnd(pos, ws, end)
            emit(start ..< pos)
        }
    }

    /// The end of `\s+(?!\S)|\s+` over the `ws` whitespace scalars at `pos` (past one
    /// other scalar when `ws` is 0): a run followed by a word leaves its last space to it.
    static func whitespaceEnd(_ pos: Int, _ ws: Int, _ end: Int) -> Int {
        ws > 1 && pos + ws < end ? pos + ws - 1 : pos + max(ws, 1)
    }

    static func llama3(_ s: [Unicode.Scalar], _ range: Range<Int>, maxDigits: Int, _ emit: (Range<Int>) -> Void) {
        let end = range.upperBound
        func cls(_ i: Int) -> CharClass { i < end ? CharClass.of(s[i]) : .outOfRange }
        func isNewline(_ i: Int) -> Bool { i < end && (s[i] == "\r" || s[i] == "\n") }
        var pos = range.lowerBound
        while pos < end {
            let start = pos
            let n = contraction(s, pos, end, caseInsensitive: true)
            if n > 0 { emit(pos ..< pos + n); pos += n; continue }
            let c = cls(pos)
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if c == .letter || (!isNewline(pos) && c != .number && cls(pos + 1) == .letter) {
                pos += 1
                while cls(pos) == .letter { pos += 1 }
                emit(start ..< pos)
                continue
            }
            // \p{N}{1,maxDigits}
            if c == .number {
                while pos < end && pos - start < maxDigits && cls(pos) == .number { pos += 1 }
                emit(start ..< pos)
                continue
            }
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
            let lead = s[pos] == " " ? cls(pos + 1) : c
            if lead == .other {
                if s[pos] == " " { pos += 1 }
                while cls(pos) == .other { pos += 1 }
                while isNewline(pos) { pos += 1 }
                emit(start ..< pos)
                continue
            }
            pos = whitespaceRunEnd(s, pos, end)
            emit(start ..< pos)
        }
    }

    /// The end of `\s*[\r\n]+|\s+(?!\S)|\s+` at `pos` (past one scalar when none matches):
    /// through the last newline of the whitespace run, else as GPT-2's whitespace.
    static func whitespaceRunEnd(_ s: [Unicode.Scalar], _ pos: Int, _ end: Int) -> Int {
        var ws = 0
        var lastNewline = -1
        while pos + ws < end && CharClass.of(s[pos + ws]) == .whitespace {
            if s[pos + ws] == "\r" || s[pos + ws] == "\n" { lastNewline = pos + ws }
            ws += 1
        }
        return lastNewline >= 0 ? lastNewline + 1 : whitespaceEnd(pos, ws, end)
    }
}

/// The character classes the pre-tokenizer patterns use: \p{L}, \p{N}, \s, and the rest.
enum CharClass: Equatable {
    /// `other`: [^\s\p{L}\p{N}]; `outOfRange`: past the end of the text
    case letter, number, whitespace, other, outOfRange

    static func of(_ c: Unicode.Scalar) -> CharClass {
        let v = c.value
        if v < 128 {
            switch v {
            case 48 ... 57: return .number
            case 65 ... 90, 97 ... 122: return .letter
            case 9 ... 13, 32: return .whitespace
            default: return .other
            }
        }
        let p = c.properties
        if p.isWhitespace { return .whitespace }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }
}
