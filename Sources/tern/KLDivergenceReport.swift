import Foundation
import Loader

/// The closing statistics of `tern perplexity --kl-divergence-base`, laid out as
/// `llama-perplexity --kl-divergence` prints them, plus the largest |Δ log p| of the base's top
/// token and the mean Δ log p of the next token.
struct KLDivergenceReport {
    let stats: PerplexityStats

    var text: String { [perplexitySection, divergenceSection, probabilitySection].joined(separator: "\n") }

    private var perplexitySection: String {
        let q = stats.logPPL, b = stats.logPPLBase, cov = stats.logPPLCovariance, ratio = stats.logPPLRatio
        let ppl = exp(q.value), pplBase = exp(b.value), pplError = ppl * q.error, pplBaseError = pplBase * b.error
        let diffError = max(0, pplError * pplError + pplBaseError * pplBaseError - 2 * ppl * pplBase * cov).squareRoot()
        return [
            "====== Perplexity statistics ======",
            String(format: "Mean PPL(Q)                   : %10.6f ± %10.6f", ppl, pplError),
            String(format: "Mean PPL(base)                : %10.6f ± %10.6f", pplBase, pplBaseError),
            String(format: "Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%", 100 * cov / (q.error * b.error)),
            String(format: "Mean ln(PPL(Q)/PPL(base))     : %10.6f ± %10.6f", ratio.value, ratio.error),
            String(format: "Mean PPL(Q)/PPL(base)         : %10.6f ± %10.6f", exp(ratio.value), exp(ratio.value) * ratio.error),
            String(format: "Mean PPL(Q)-PPL(base)         : %10.6f ± %10.6f", ppl - pplBase, diffError),
            String(format: "Mean Δ log p(next token)      : %10.6f ± %10.6f", -ratio.value, ratio.error),
            "",
        ].joined(separator: "\n")
    }

    private var divergenceSection: String {
        let kld = stats.kld, sorted = stats.klds.sorted()
        var lines = ["====== KL divergence statistics ======", String(format: "Mean    KLD: %10.6f ± %10.6f", kld.value, kld.error)]
        lines.append(String(format: "Maximum KLD: %10.6f", sorted.last ?? 0))
        for (label, f) in [("99.9%", 0.999), ("99.0%", 0.99), ("95.0%", 0.95), ("90.0%", 0.9)] as [(String, Float)] {
            lines.append(String(format: "%@   KLD: %10.6f", label, PerplexityStats.percentile(sorted, f)))
        }
        lines.append(String(format: "Median  KLD: %10.6f", median(sorted)))
        for (label, f) in [("10.0%", 0.1), (" 5.0%", 0.05), (" 1.0%", 0.01), (" 0.1%", 0.001)] as [(String, Float)] {
            lines.append(String(format: "%@   KLD: %10.6f", label, PerplexityStats.percentile(sorted, f)))
        }
        lines.append(String(format: "Minimum KLD: %10.6f", sorted.first ?? 0))
        return lines.joined(separator: "\n") + "\n"
    }

    private var probabilitySection: String {
        let d = stats.pDiff, sorted = stats.pDiffs.sorted(), rms = stats.pDiffRMS, top = stats.sameTop
        var lines = ["====== Token probability statistics ======", String(format: "Mean    Δp: %6.3f ± %5.3f %%", 100 * d.value, 100 * d.error)]
        lines.append(String(format: "Maximum Δp: %6.3f%%", 100 * (sorted.last ?? 0)))
        for (label, f) in [("99.9%", 0.999), ("99.0%", 0.99), ("95.0%", 0.95), ("90.0%", 0.9), ("75.0%", 0.75)] as [(String, Float)] {
            lines.append(String(format: "%@   Δp: %6.3f%%", label, 100 * PerplexityStats.percentile(sorted, f)))
        }
        lines.append(String(format: "Median  Δp: %6.3f%%", 100 * median(sorted)))
        for (label, f) in [("25.0%", 0.25), ("10.0%", 0.1), (" 5.0%", 0.05), (" 1.0%", 0.01), (" 0.1%", 0.001)] as [(String, Float)] {
            lines.append(String(format: "%@   Δp: %6.3f%%", label, 100 * PerplexityStats.percentile(sorted, f)))
        }
        lines.append(String(format: "Minimum Δp: %6.3f%%", 100 * (sorted.first ?? 0)))
        lines.append(String(format: "RMS Δp    : %6.3f ± %5.3f %%", 100 * rms.value, 100 * rms.error))
        lines.append(String(format: "Same top p: %6.3f ± %5.3f %%", 100 * top.value, 100 * top.error))
        lines.append(String(format: "Max |Δ log p| of the base's top token: %.6f", stats.maxTopLogProbDelta))
        return lines.joined(separator: "\n") + "\n"
    }

    private func median(_ sorted: [Float]) -> Float {
        guard !sorted.isEmpty else { return 0 }
        let n = sorted.count
        return n % 2 == 0 ? 0.5 * (sorted[n / 2] + sorted[n / 2 - 1]) : sorted[n / 2]
    }
}
