import Foundation

/// One scored position of a perplexity run, computed as `llama-perplexity` computes it: the
/// log-softmax with the maximum subtracted, `expf` terms summed in double; and, against a base
/// distribution from a `--kl-divergence-base` file, the KL divergence KL(base ‖ model) over the
/// tokens whose base log-probability is above −16, whether both put the same token on top, and
/// the change in probability of the token that follows.
public struct ScoredPosition: Sendable {
    /// −log p(next token) under the model.
    public var nll: Double
    /// −log p(next token) under the base (0 without one).
    public var nllBase: Double = 0
    /// KL(base ‖ model) in nats.
    public var kld: Double = 0
    /// Whether the model's most likely token is the base's.
    public var sameTop = false
    /// p(next token) − p_base(next token).
    public var pDiff: Float = 0
    /// |log p(t) − log p_base(t)| for the base's most likely token t.
    public var topLogProbDelta: Float = 0

    /// A position with only its −log p set.
    public init(nll: Double) { self.nll = nll }

    /// The model's maximum logit, its index and log Σ exp(logit − max) over `vocab` logits.
    @inline(__always)
    static func logSumExp(_ logits: UnsafePointer<Float>, vocab: Int) -> (max: Float, argmax: Int, logSumExp: Float) {
        var m = logits[0], im = 0
        for i in 1 ..< vocab where logits[i] > m { m = logits[i]; im = i }
        var sum = 0.0
        for i in 0 ..< vocab { sum += Double(expf(logits[i] - m)) }
        return (m, im, Float(log(sum)))
    }

    /// The model's −log p(`token`) from its (vocab) logits, as llama-perplexity scores it.
    public init(logits: UnsafePointer<Float>, vocab: Int, token: Int) {
        let s = Self.logSumExp(logits, vocab: vocab)
        nll = Double(s.max) + Double(s.logSumExp) - Double(logits[token])
    }

    /// The model's (vocab) logits against the base distribution `base` at the same position.
    public init(logits: UnsafePointer<Float>, vocab: Int, token: Int, base: LlamaLogitsFile.Record) {
        let s = Self.logSumExp(logits, vocab: vocab)
        let logZ = s.max + s.logSumExp  // log p(i) = logits[i] − logZ
        let nllF = logZ - logits[token]
        let nllBaseF = -base.logProb(token)
        nll = Double(nllF)
        nllBase = Double(nllBaseF)
        var sum = 0.0, topBase = 0, topBaseLogProb: Float = 0
        for i in 0 ..< vocab {
            let lpBase = base.logProb(i)
            if i == 0 || lpBase > topBaseLogProb { topBaseLogProb = lpBase; topBase = i }
            if lpBase > -16 { sum += Double(expf(lpBase) * (lpBase - logits[i] + logZ)) }
        }
        kld = sum
        sameTop = s.argmax == topBase
        pDiff = expf(-nllF) - expf(-nllBaseF)
        topLogProbDelta = abs((logits[topBase] - logZ) - topBaseLogProb)
    }
}
