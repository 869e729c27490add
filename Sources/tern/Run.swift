import ArgumentParser
import Engine
import Foundation
import Kernels
import Models
import Tokenizers

/// `tern run`: generate a continuation of a prompt and stream it to stdout.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate text from a prompt on the command line.")

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: "The prompt (control-token spellings such as <|im_start|> are parsed).")
    var prompt: String

    @Option(name: .long, help: "Most tokens to generate.")
    var maxTokens: Int = 128

    @Option(name: .long, help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0.8

    @Option(name: .long, help: "Keep the k most likely tokens (0: off).")
    var topK: Int = 40

    @Option(name: .long, help: "Nucleus sampling mass (1: off).")
    var topP: Float = 0.95

    @Option(name: .long, help: "Drop tokens below this fraction of the top probability (0: off).")
    var minP: Float = 0.05

    @Option(name: .long, help: "Random seed (default: random).")
    var seed: UInt64?

    @Flag(name: .long, help: "Print timings and peak memory to stderr.")
    var verbose = false

    func validate() throws {
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be >= 0") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard minP >= 0 && minP <= 1 else { throw ValidationError("--min-p must be in [0, 1]") }
    }

    mutating func run() throws {
        let loaded = try options.load()
        let model = loaded.model, tokenizer = loaded.tokenizer
        let promptIDs = tokenizer.encode(prompt, addSpecial: true, parseSpecial: true)
        guard !promptIDs.isEmpty else { throw ValidationError("the prompt is empty") }
        let total = min(promptIDs.count + maxTokens, model.config.contextLength)
        guard promptIDs.count < total else { throw ValidationError("the prompt (\(promptIDs.count) tokens) fills the context") }
        let blockSize = 16
        let cache = model.makeCache(numBlocks: (total + blockSize - 1) / blockSize, blockSize: blockSize)
        let table = (0 ..< Int32(cache.numBlocks)).map { $0 }
        var params = SamplingParams(temperature: temperature, topK: topK, topP: topP, minP: minP, seed: seed)
        params.seed = seed
        var rng = RandomSource(seed: seed ?? UInt64.random(in: 0 ... .max))
        var history = Sampler.History(prompt: promptIDs)
        var detok = IncrementalDetokenizer(tokenizer: tokenizer)
        let vocab = model.config.vocabularySize
        let t0 = DispatchTime.now().uptimeNanoseconds
        var batch = ForwardBatch()
        batch.append(tokens: promptIDs, startPosition: 0, blockTable: table, logitsFor: [promptIDs.count - 1])
        var logits = try model.forward(batch, cache: cache)
        let tPrompt = DispatchTime.now().uptimeNanoseconds
        var generated = 0
        var position = promptIDs.count
        while position < total {
            let token = Sampler.sample(logits.pointer, vocab: vocab, params: params, history: history, rng: &rng)
            generated += 1
            if tokenizer.eogTokenIDs.contains(token) { break }
            history.append(token)
            FileHandle.standardOutput.write(Data(detok.push(token).utf8))
            if position + 1 >= total { break }
            var step = ForwardBatch()
            step.append(tokens: [token], startPosition: position, blockTable: table, logitsFor: [0])
            logits = try model.forward(step, cache: cache)
            position += 1
        }
        FileHandle.standardOutput.write(Data((detok.finish() + "\n").utf8))
        if verbose {
            let t1 = DispatchTime.now().uptimeNanoseconds
            let pp = Double(promptIDs.count) / (Double(tPrompt - t0) / 1e9)
            let tg = Double(generated) / (Double(t1 - tPrompt) / 1e9)
            FileHandle.standardError.write(Data(String(format: "prompt %d tokens, %.1f t/s; generated %d tokens, %.1f t/s; peak RSS %.1f MiB\n",
                                                       promptIDs.count, pp, generated, tg, Double(peakRSSBytes()) / 1048576).utf8))
        }
    }
}
