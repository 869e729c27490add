import Kernels

/// Picks the next token from one row of logits: logit bias and penalties first, then either
/// argmax (greedy) or temperature, top-k, min-p and top-p filtering and a draw from the
/// request's own random stream.
public struct Sampler {
    /// Token counts of what the request generated so far (for presence/frequency penalties)
    /// and the set of every token it has seen (for the repetition penalty).
    public struct History: Sendable {
        public var generatedCounts: [Int32: Int] = [:]
        public var seen: Set<Int32> = []
        public init() {}
        public init(prompt: [Int32]) { seen = Set(prompt) }
        public mutating func append(_ t: Int32) { generatedCounts[t, default: 0] += 1; seen.insert(t) }
    }

    /// Applies bias and penalties to `logits` (vocab floats) in place.
    public static func adjust(_ logits: UnsafeMutablePointer<Float>, vocab: Int, params p: SamplingParams, history: History) {
        for (t, b) in p.logitBias where t >= 0 && Int(t) < vocab { logits[Int(t)] += b }
        if p.repetitionPenalty != 1, p.repetitionPenalty > 0 {
            for t in history.seen where t >= 0 && Int(t) < vocab {
                let l = logits[Int(t)]
                logits[Int(t)] = l > 0 ? l / p.repetitionPenalty : l * p.repetitionPenalty
            }
        }
        if p.presencePenalty != 0 || p.frequencyPenalty != 0 {
            for (t, c) in history.generatedCounts where t >= 0 && Int(t) < vocab {
                logits[Int(t)] -= p.presencePenalty + p.frequencyPenalty * Float(c)
            }
        }
    }

    /// Index of the largest logit (the lowest index among equals; NaNs are skipped).
    public static func argmax(_ logits: UnsafePointer<Float>, vocab: Int) -> Int32 {
        Ops.argmax(logits, n: vocab)
    }

    /// Samples a token from `logits` (vocab floats, modified in place).
    public static func sample(_ logits: UnsafeMutablePointer<Float>, vocab: Int, params p: SamplingParams,
                              history: History, rng: inout RandomSource) -> Int32 {
        adjust(logits, vocab: vocab, params: p, history: history)
        if p.isGreedy { return argmax(logits, vocab: vocab) }
        let candidates = filtered(logits, vocab: vocab, params: p)
        var u = rng.nextUnit() * candidates.total
        for c in candidates.items {
            u -= c.p
            if u < 0 { return c.id }
        }
        return candidates.items.last?.id ?? argmax(logits, vocab: vocab)
    }

    /// The candidates that survive top-k, min-p and top-p, most likely first, with
    /// unnormalized probabilities exp((logit - max) / T) and their total.
    static func filtered(_ logits: UnsafePointer<Float>, vocab: Int, params p: SamplingParams) -> (items: [(id: Int32, p: Double)], total: Double) {
        let invT = 1 / Double(p.temperature)
        var maxLogit = -Float.infinity
        for i in 0 ..< vocab { maxLogit = max(maxLogit, logits[i]) }
        // Without top-k, tokens below e^-30 of the top carry no mass worth sorting.
        let floor = Double(maxLogit) - 30 / invT
        var items: [(id: Int32, p: Double)] = []
        for i in 0 ..< vocab where Double(logits[i]) >= floor && logits[i] > -Float.infinity {
            items.append((Int32(i), (Double(logits[i]) - Double(maxLogit)) * invT))
        }
        items.sort { $0.p > $1.p || ($0.p == $1.p && $0.id < $1.id) }
        if p.topK > 0, items.count > p.topK { items.removeSubrange(p.topK...) }
        for i in items.indices { items[i].p = exp(items[i].p) }
        var total = items.reduce(0) { $0 + $1.p }
        if p.minP > 0, let top = items.first?.p {
            let threshold = Double(p.minP) * top
            items.removeAll { $0.p < threshold }
            total = items.reduce(0) { $0 + $1.p }
        }
        if p.topP < 1 {
            var acc = 0.0
            var keep = items.count
            for (i, c) in items.enumerated() {
                acc += c.p
                if acc >= Double(p.topP) * total { keep = i + 1; break }
            }
            items.removeSubrange(keep...)
            total = items.reduce(0) { $0 + $1.p }
        }
        return (items, total)
    }
}

#if canImport(Glibc)
import Glibc
#endif
