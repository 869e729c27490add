import Grammar

extension GrammarRow {
    /// Tokens a sequence needs from `m` to end validly: none when the grammar is complete,
    /// else its fewest remaining bytes (one token each at worst) and the end token.
    func tokensToEnd(_ m: GrammarMatcher) -> Int {
        m.isDone ? 0 : min(CompletionLengths.unbounded, constraint.masker.lengths.bytesToEnd(m) + 1)
    }

    /// `token` (just sampled), unless taking it would leave too few tokens of the budget to
    /// reach a valid end: then the most likely token (by `logits`, vocab floats as sampled)
    /// that brings the end nearer. Keeping `tokensToEnd ≤ budget` at every step means a
    /// constrained answer is complete JSON when `max_tokens` allows any (an open-ended object
    /// closes instead of being cut off). Free rows, dead grammars and rows whose end no longer
    /// fits the budget keep `token`.
    func withinBudget(_ token: Int32, logits: UnsafePointer<Float>, vocab: Int, ends: Set<Int32>) -> Int32 {
        guard let matcher, !abandoned, budget < CompletionLengths.unbounded else { return token }
        func cost(_ t: Int32) -> Int {
            if ends.contains(t) { return matcher.canEnd ? 0 : CompletionLengths.unbounded }
            var m = matcher
            return m.accept(token: Int(t), masker: constraint.masker) ? tokensToEnd(m) : CompletionLengths.unbounded
        }
        let now = tokensToEnd(matcher)
        // No end fits any more (a schema longer than max_tokens): the answer is cut off at the
        // length limit whatever comes next, so the model's own choice stands.
        if now > budget || cost(token) <= budget - 1 { return token }
        for t in Self.best(32, logits, vocab: vocab) + Array(ends) + closingBytes() where cost(t) < now { return t }
        return token
    }

    /// The one-byte tokens (a shortest completion can always be spelled with them).
    private func closingBytes() -> [Int32] {
        if byteTokens.isEmpty {
            byteTokens = Array(repeating: -1, count: 256)
            for (t, bytes) in constraint.masker.vocabulary.enumerated() where bytes.count == 1 && byteTokens[Int(bytes[0])] < 0 {
                byteTokens[Int(bytes[0])] = Int32(t)
            }
        }
        return byteTokens.filter { $0 >= 0 }
    }

    /// The `k` tokens of highest finite logit, best first.
    static func best(_ k: Int, _ logits: UnsafePointer<Float>, vocab: Int) -> [Int32] {
        var top: [(Float, Int32)] = []  // (k) sorted by descending logit
        for t in 0 ..< vocab where logits[t] > -.infinity && (top.count < k || logits[t] > top[top.count - 1].0) {
            let at = top.firstIndex { $0.0 < logits[t] } ?? top.count
            top.insert((logits[t], Int32(t)), at: at)
            if top.count > k { top.removeLast() }
        }
        return top.map(\.1)
    }
}
