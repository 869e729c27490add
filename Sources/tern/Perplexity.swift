import ArgumentParser
import Foundation
import Loader

/// `tern perplexity`: perplexity of a text as `llama-perplexity` computes it, and with
/// `--kl-divergence-base` the comparison against the logits file llama.cpp wrote for the same
/// text (KL divergence, same top token, perplexity ratio), as `llama-perplexity --kl-divergence` reports it.
struct Perplexity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Perplexity of a text file, as llama-perplexity computes it; or the KL divergence against its logits file.")

    @OptionGroup var options: ModelOptions

    @Option(name: [.customShort("f"), .long], help: "The text file.") var file: String
    @Option(name: [.customShort("c"), .customLong("ctx-size")], help: "Tokens per chunk (default 512; with --kl-divergence-base, the file's).")
    var ctxSize: Int?
    @Option(name: [.customShort("b"), .customLong("batch-size")], help: "Most tokens per forward (default: a whole chunk).") var batchSize: Int?
    @Option(name: .customLong("kl-divergence-base"), help: "A logits file written by `llama-perplexity --kl-divergence-base FILE` on the same text.")
    var klDivergenceBase: String?

    func validate() throws {
        if let ctxSize, ctxSize < 4 { throw ValidationError("--ctx-size must be at least 4") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be positive") }
    }

    mutating func run() throws {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ValidationError("--file \(file): cannot read it as UTF-8 text (\(error.localizedDescription))")
        }
        do {
            let base = try klDivergenceBase.map { try LlamaLogitsFile(path: $0) }
            if let base, let ctxSize, ctxSize != base.contextSize {
                throw ValidationError("--ctx-size \(ctxSize), but \(base.path) was computed with \(base.contextSize)")
            }
            let loaded = try options.load()
            let run = try PerplexityRun(loaded: loaded, contextSize: base?.contextSize ?? ctxSize ?? 512, batchSize: batchSize)
            let tokens = run.tokenize(text)
            note("perplexity: \(tokens.count) tokens\(run.bos != nil ? " (BOS first)" : "")")
            if let base {
                try run.check(base: base, tokens: tokens)
                try klDivergence(run, tokens: tokens, base: base)
            } else {
                try perplexity(run, tokens: tokens)
            }
        } catch let error as LoaderError {
            throw ValidationError(error.description)
        }
    }

    /// llama-perplexity's perplexity mode: the running estimate after each chunk, then the final one.
    private func perplexity(_ run: PerplexityRun, tokens: [Int32]) throws {
        let chunks = try run.chunkCount(tokens)
        note("perplexity: calculating perplexity over \(chunks) chunks, n_ctx=\(run.contextSize), batch_size=\(run.batchSize)")
        var stats = PerplexityStats()
        for c in 0 ..< chunks {
            let t0 = DispatchTime.now().uptimeNanoseconds
            for p in try run.score(chunk: c, of: tokens) { stats.add(p) }
            if c == 0 { note(String(format: "perplexity: %.2f seconds per pass", Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)) }
            emit(String(format: "[%d]%.4f,", c + 1, stats.perplexity.value))
        }
        let ppl = stats.perplexity
        emit(String(format: "\nFinal estimate: PPL = %.4f +/- %.5f\n", ppl.value, ppl.error))
    }

    /// llama-perplexity's KL-divergence mode against `base`: a line per chunk, then the statistics.
    private func klDivergence(_ run: PerplexityRun, tokens: [Int32], base: LlamaLogitsFile) throws {
        note("kl_divergence: computing over \(base.chunkCount) chunks, n_ctx=\(run.contextSize), batch_size=\(run.batchSize)")
        emit("chunk             PPL               ln(PPL(Q)/PPL(base))          KL Divergence              Δp RMS            Same top p\n")
        var stats = PerplexityStats()
        for c in 0 ..< base.chunkCount {
            for p in try run.score(chunk: c, of: tokens, base: base) { stats.add(p) }
            let ppl = stats.logPPL, ratio = stats.logPPLRatio, kld = stats.kld, rms = stats.pDiffRMS, top = stats.sameTop
            emit(String(format: "%4d    %9.4f ± %9.4f    %10.5f ± %10.5f    %10.5f ± %10.5f    %6.3f ± %6.3f %%    %6.3f ± %6.3f %%\n",
                        c + 1, exp(ppl.value), exp(ppl.value) * ppl.error, ratio.value, ratio.error, kld.value, kld.error,
                        100 * rms.value, 100 * rms.error, 100 * top.value, 100 * top.error))
        }
        guard stats.count >= 100 else { return }  // as llama.cpp: no statistics on so few values
        emit(KLDivergenceReport(stats: stats).text)
    }
}

/// Writes `text` to standard output now (chunk lines appear as they are computed).
func emit(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// A progress or information line on standard error.
func note(_ text: String) {
    FileHandle.standardError.write(Data("\(text)\n".utf8))
}
