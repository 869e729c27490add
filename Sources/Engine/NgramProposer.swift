import Models

/// Prompt lookup: for n from `maxN` down to `minN`, find the latest earlier place where the
/// sequence's last n tokens occurred (prompt or output) and guess what followed there. Costs
/// a backward scan of the tokens per step, and guesses nothing when the text does not repeat.
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

    /// Up to `count` tokens that followed the latest earlier occurrence of the longest suffix
    /// (of `minN…maxN` tokens) of `tokens` that occurred before.
    public static func lookup(_ tokens: [Int32], count: Int, minN: Int, maxN: Int) -> [Int32] {
        let len = tokens.count
        guard count > 0, minN >= 1 else { return [] }
        return tokens.withUnsafeBufferPointer { t -> [Int32] in
            var n = min(maxN, len - 1)
            while n >= minN {
                let suffix = len - n
                // Starts i < suffix, latest first; the suffix's last token filters cheaply.
                var i = suffix - 1
                while i >= 0 {
                    if t[i + n - 1] == t[len - 1] {
                        var j = 0
                        while j < n - 1 && t[i + j] == t[suffix + j] { j += 1 }
                        if j == n - 1 { return Array(t[(i + n) ..< min(len, i + n + count)]) }
                    }
                    i -= 1
                }
                n -= 1
            }
            return []
        }
    }
}
