import Foundation

/// The running sums of a perplexity run, and the estimates `llama-perplexity` reports from them
/// (each with its standard error): perplexity, and against a base distribution the perplexity
/// ratio, mean KL divergence, RMS Δp and the share of positions with the same top token.
public struct PerplexityStats: Sendable {
    /// Positions added.
    public private(set) var count = 0
    private var sumNLL = 0.0, sumNLL2 = 0.0
    private var sumNLLBase = 0.0, sumNLLBase2 = 0.0, sumNLLNLLBase = 0.0
    private var sumKLD = 0.0, sumKLD2 = 0.0
    private var sumPDiff = 0.0, sumPDiff2 = 0.0, sumPDiff4 = 0.0
    /// Positions where the model's top token is the base's.
    public private(set) var sameTopCount = 0
    /// The largest |Δ log p| of the base's top token.
    public private(set) var maxTopLogProbDelta: Float = 0
    /// (count) per-position KL divergences and Δp, in order of addition.
    public private(set) var klds: [Float] = [], pDiffs: [Float] = []

    /// No positions yet.
    public init() {}

    /// Adds one scored position.
    public mutating func add(_ p: ScoredPosition) {
        count += 1
        sumNLL += p.nll; sumNLL2 += p.nll * p.nll
        sumNLLBase += p.nllBase; sumNLLBase2 += p.nllBase * p.nllBase; sumNLLNLLBase += p.nll * p.nllBase
        sumKLD += p.kld; sumKLD2 += p.kld * p.kld
        let d = Double(p.pDiff), d2 = d * d
        sumPDiff += d; sumPDiff2 += d2; sumPDiff4 += d2 * d2
        if p.sameTop { sameTopCount += 1 }
        maxTopLogProbDelta = max(maxTopLogProbDelta, p.topLogProbDelta)
        klds.append(Float(p.kld)); pDiffs.append(p.pDiff)
    }

    /// A mean and its standard error, as llama-perplexity computes them (no error below 11 values).
    public func meanAndError(_ sum: Double, _ sum2: Double) -> (value: Double, error: Double) {
        guard count > 0 else { return (0, 0) }
        let mean = sum / Double(count), variance = sum2 / Double(count) - mean * mean
        return (mean, variance > 0 && count > 10 ? (variance / Double(count - 1)).squareRoot() : 0)
    }

    /// Perplexity and its error, as the perplexity mode prints it (`Final estimate`).
    public var perplexity: (value: Double, error: Double) {
        guard count > 1 else { return (exp(sumNLL / Double(max(count, 1))), 0) }
        let mean = sumNLL / Double(count), variance = sumNLL2 / Double(count) - mean * mean
        let ppl = exp(mean)
        return (ppl, variance > 0 ? (variance / Double(count - 1)).squareRoot() * ppl : 0)
    }

    /// Mean log-perplexity of the model.
    public var logPPL: (value: Double, error: Double) { meanAndError(sumNLL, sumNLL2) }
    /// Mean log-perplexity of the base.
    public var logPPLBase: (value: Double, error: Double) { meanAndError(sumNLLBase, sumNLLBase2) }

    /// Covariance of the two mean log-perplexities.
    public var logPPLCovariance: Double {
        guard count >= 10 else { return 0 }
        let n = Double(count)
        return (sumNLLNLLBase / n - (sumNLL / n) * (sumNLLBase / n)) / (n - 1)
    }

    /// ln(PPL / PPL(base)) = mean over positions of log p_base(next) − log p(next).
    public var logPPLRatio: (value: Double, error: Double) {
        let a = logPPL, b = logPPLBase
        return (a.value - b.value, max(0, a.error * a.error + b.error * b.error - 2 * logPPLCovariance).squareRoot())
    }

    /// Mean KL(base ‖ model) per position.
    public var kld: (value: Double, error: Double) { meanAndError(sumKLD, sumKLD2) }
    /// Mean p(next) − p_base(next).
    public var pDiff: (value: Double, error: Double) { meanAndError(sumPDiff, sumPDiff2) }

    /// Root mean square of Δp.
    public var pDiffRMS: (value: Double, error: Double) {
        let mse = meanAndError(sumPDiff2, sumPDiff4), rms = mse.value.squareRoot()
        return (rms, rms > 0 ? 0.5 / rms * mse.error : 0)
    }

    /// The share of positions where both put the same token on top.
    public var sameTop: (value: Double, error: Double) {
        let p = Double(sameTopCount) / Double(max(count, 1))
        return (p, count > 1 ? (p * (1 - p) / Double(count - 1)).squareRoot() : 0)
    }

    /// The value at `fraction` of the sorted `values`, interpolated as llama-perplexity does.
    public static func percentile(_ sorted: [Float], _ fraction: Float) -> Float {
        guard let first = sorted.first, let last = sorted.last else { return 0 }
        if fraction <= 0 { return first }
        if fraction >= 1 { return last }
        var p = fraction * Float(sorted.count - 1)
        let i = Int(p)
        p -= Float(i)
        return (1 - p) * sorted[i] + p * sorted[min(i + 1, sorted.count - 1)]
    }
}
