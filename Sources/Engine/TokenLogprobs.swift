import Kernels
#if canImport(Glibc)
import Glibc
#endif

/// Log-probabilities of a sampled token and of the most likely alternatives, from the
/// model's raw distribution (before bias, penalties and temperature, as vLLM reports them).
public struct TokenLogprobs: Sendable, Equatable {
    public var logprob: Float
    /// Most likely first; ties by lower id.
    public var top: [(id: Int32, logprob: Float)]

    public init(logprob: Float, top: [(id: Int32, logprob: Float)]) {
        self.logprob = logprob
        self.top = top
    }

    public static func == (a: TokenLogprobs, b: TokenLogprobs) -> Bool {
        a.logprob == b.logprob && a.top.count == b.top.count && zip(a.top, b.top).allSatisfy { $0.id == $1.id && $0.logprob == $1.logprob }
    }

    /// The log-softmax of `logits` (vocab floats) at `token`, and the `k` largest entries.
    public static func compute(_ logits: UnsafePointer<Float>, vocab: Int, token: Int32, k: Int) -> TokenLogprobs {
        let maxLogit = logits[Int(Ops.argmax(logits, n: vocab))]
        let lse = Double(maxLogit) + log(Ops.sumExp(logits, n: vocab, max: maxLogit))
        // Top k by a bounded insertion list (k ≤ 20).
        var top: [(id: Int32, logit: Float)] = []
        if k > 0 {
            for i in 0 ..< vocab {
                let v = logits[i]
                if top.count == k, let last = top.last, v <= last.logit { continue }
                var j = top.count
                while j > 0 && top[j - 1].logit < v { j -= 1 }
                top.insert((Int32(i), v), at: j)
                if top.count > k { top.removeLast() }
            }
        }
        let lp: (Float) -> Float = { Float(Double($0) - lse) }
        let t = Int(token)
        let own = t >= 0 && t < vocab ? lp(logits[t]) : -Float.infinity
        return TokenLogprobs(logprob: own, top: top.map { ($0.id, lp($0.logit)) })
    }
}
