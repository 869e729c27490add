import Models

/// Prompt lookup: find the earlier place (prompt or output) whose tokens match the longest
/// suffix of the sequence, `minN…maxN` tokens, the latest such place among equals, and guess
/// what followed there: at most n + 1 tokens for an n-token match, since a short match is
/// weak evidence (a 1-token match is right about half the time on copying tasks, a match of
/// 3 or more usually). Costs one backward scan of the tokens per step, and guesses nothing
/// when the text does not repeat.
public final class NgramProposer: Proposer {
    let minN: Int, maxN: Int

    init(minN: Int, maxN: Int) { (self.minN, self.maxN) = (minN, maxN) }

    func observe(_ batch: ForwardBatch, copies: [(src: Int32, dst: Int32)]) {}

    func propose(_ requests: [ProposalRequest]) -> [SequenceID: [Int32]] {
        var out: [SequenceID: [Int32]] = [:]
        for r in requests {
            let guess = Self.lookup(r.tokens, count: r.count, minN: minN, maxN: maxN)
            if !guess.isEmpty { out[r.id] = guess }
        }
        return out
    }

    /// Up to `count` (and at most n + 1) tokens that followed the latest earlier occurrence of
    /// the longest suffix (n of `minN…maxN` tokens) of `tokens` that occurred before.
    public static func lookup(_ tokens: [Int32], count: Int, minN: Int, maxN: Int) -> [Int32] {
        let len = tokens.count
        guard count > 0, minN >= 1, len >= 2 else { return [] }
        return tokens.withUnsafeBufferPointer { t -> [Int32] in
            let last = t[len - 1]
            var best = 0, bestEnd = -1
            // Each earlier position holding the last token ends a candidate; latest first, so
            // a longer match must be strictly longer to win.
            var end = len - 2
            while end >= 0 && best < maxN {
                if t[end] == last {
                    var n = 1
                    while n < maxN && n <= end && t[end - n] == t[len - 1 - n] { n += 1 }
                    if n > best { (best, bestEnd) = (n, end) }
                }
                end -= 1
            }
            guard best >= minN else { return [] }
            return Array(t[(bestEnd + 1) ..< min(len, bestEnd + 1 + min(count, best + 1))])
        }
    }
}
