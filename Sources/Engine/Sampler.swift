import HeapModule
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
        if p.topK <= 0, p.minP <= 0, p.topP >= 1 { return drawUnfiltered(logits, vocab: vocab, params: p, rng: &rng) }
        let candidates = filtered(logits, vocab: vocab, params: p)
        var u = rng.nextUnit() * candidates.total
        for c in candidates.items {
            u -= c.p
            if u < 0 { return c.id }
        }
        return candidates.items.last?.id ?? argmax(logits, vocab: vocab)
    }

    /// Temperature alone (what an OpenAI client gets by default): the same draw as a walk over
    /// `filtered`'s items (vocabulary order, the same sums in the same order), straight from
    /// the candidate arrays, without building (id, probability) pairs for the ~10^5
    /// candidates of a flat 262k-token distribution.
    static func drawUnfiltered(_ logits: UnsafePointer<Float>, vocab: Int, params p: SamplingParams, rng: inout RandomSource) -> Int32 {
        guard let (_, c) = candidates(logits, vocab: vocab, invT: 1 / Double(p.temperature)) else { return argmax(logits, vocab: vocab) }
        let total = c.p.reduce(0) { $0 + Double($1) }
        var u = rng.nextUnit() * total
        for (i, q) in c.p.enumerated() {
            u -= Double(q)
            if u < 0 { return c.ids[i] }
        }
        return c.ids.last ?? argmax(logits, vocab: vocab)
    }

    /// The candidates that survive top-k, min-p and top-p, with unnormalized probabilities
    /// exp((logit - max) / T) and their total. Nothing is sorted unless top-k or top-p asks:
    /// with top-k the k best (a heap) come most likely first; with top-p only the tokens in
    /// the bands of probability that the nucleus reaches are sorted. Without either they come
    /// in vocabulary order (the distribution is the same in any order).
    public static func filtered(_ logits: UnsafePointer<Float>, vocab: Int, params p: SamplingParams) -> (items: [(id: Int32, p: Double)], total: Double) {
        let invT = 1 / Double(p.temperature)
        guard let (maxLogit, c) = candidates(logits, vocab: vocab, invT: invT) else { return ([], 0) }
        var items: [(id: Int32, p: Double)]
        if p.topK > 0, c.ids.count > p.topK {
            items = best(p.topK, of: c.ids, logits).map { (id: $0, p: exp((Double(logits[Int($0)]) - maxLogit) * invT)) }
        } else {
            items = (0 ..< c.ids.count).map { (id: c.ids[$0], p: Double(c.p[$0])) }
        }
        var total = items.reduce(0) { $0 + $1.p }
        if p.minP > 0 {
            let threshold = Double(p.minP)  // × the top token's probability, exp(0) = 1
            items.removeAll { $0.p < threshold }
            total = items.reduce(0) { $0 + $1.p }
        }
        if p.topP < 1 { (items, total) = nucleus(items, total: total, topP: Double(p.topP)) }
        return (items, total)
    }

    /// The largest logit, and the tokens within e^-30 of it (below, they carry no mass worth
    /// keeping) with exp((logit - max) / T); nil when no logit is finite.
    static func candidates(_ logits: UnsafePointer<Float>, vocab: Int, invT: Double) -> (max: Double, Ops.Candidates)? {
        let maxLogit = Double(logits[Int(Ops.argmax(logits, n: vocab))])
        guard maxLogit.isFinite else { return nil }
        return (maxLogit, Ops.expCandidates(logits, n: vocab, max: Float(maxLogit), invT: Float(invT), atLeast: Float(maxLogit - 30 / invT)))
    }

    /// The k ids with the largest logits (lowest id among equals), most likely first.
    static func best(_ k: Int, of ids: [Int32], _ logits: UnsafePointer<Float>) -> [Int32] {
        // Ordered worst first: the heap's minimum is the worst of the k kept so far.
        struct Ranked: Comparable {
            let logit: Float, id: Int32
            static func < (a: Ranked, b: Ranked) -> Bool { a.logit < b.logit || (a.logit == b.logit && a.id > b.id) }
        }
        var heap = Heap<Ranked>()
        for id in ids {
            let r = Ranked(logit: logits[Int(id)], id: id)
            if heap.count < k { heap.insert(r) } else if let worst = heap.min, worst < r { heap.replaceMin(with: r) }
        }
        return heap.unordered.sorted { $1 < $0 }.map(\.id)
    }

    /// The most likely items whose mass first reaches topP of `total`, most likely first.
    /// Items fall into bands of a factor e (p = exp(z), z in [-30, 0]); only the bands down to
    /// the one where the running mass reaches the target are sorted.
    static func nucleus(_ items: [(id: Int32, p: Double)], total: Double, topP: Double) -> (items: [(id: Int32, p: Double)], total: Double) {
        let bands = 32
        func band(_ p: Double) -> Int { min(bands - 1, max(0, Int(-log(p)))) }
        var mass = [Double](repeating: 0, count: bands)
        for c in items { mass[band(c.p)] += c.p }
        let target = topP * total
        var last = bands - 1, acc = 0.0
        for b in 0 ..< bands {
            acc += mass[b]
            if acc >= target { last = b; break }
        }
        var head = items.filter { band($0.p) <= last }
        head.sort { $0.p > $1.p || ($0.p == $1.p && $0.id < $1.id) }
        var keep = head.count
        acc = 0
        for (i, c) in head.enumerated() {
            acc += c.p
            if acc >= target { keep = i + 1; break }
        }
        head.removeSubrange(keep...)
        return (head, head.reduce(0) { $0 + $1.p })
    }
}

#if canImport(Glibc)
import Glibc
#endif
