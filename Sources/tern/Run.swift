import ArgumentParser
import Engine
import Foundation
import Loader
import Tokenizers

/// `tern run`: generate a continuation of a prompt and stream it to stdout.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate text from a prompt on the command line.")

    @OptionGroup var options: ModelOptions

    @Option(help: "The prompt (control-token spellings such as <|im_start|> are parsed).") var prompt: String
    @Option(help: "Most tokens to generate.") var maxTokens: Int = 128
    @Option(help: "Sampling temperature; 0 is greedy.") var temperature: Float = 0.8
    @Option(help: "Keep the k most likely tokens (0: off).") var topK: Int = 40
    @Option(help: "Nucleus sampling mass (1: off).") var topP: Float = 0.95
    @Option(help: "Drop tokens below this fraction of the top probability (0: off).") var minP: Float = 0.05
    @Option(help: "Random seed (default: random).") var seed: UInt64?
    @Flag(help: "Print timings and peak memory to stderr.") var verbose = false

    func validate() throws {
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be >= 0") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard minP >= 0 && minP <= 1 else { throw ValidationError("--min-p must be in [0, 1]") }
    }

    mutating func run() throws {
        let loaded = try options.load()
        let tokenizer = loaded.tokenizer
        let promptIDs = tokenizer.encode(prompt, addSpecial: true, parseSpecial: true)
        guard !promptIDs.isEmpty else { throw ValidationError("the prompt is empty") }
        let total = min(promptIDs.count + maxTokens, loaded.model.config.contextLength)
        guard promptIDs.count < total else { throw ValidationError("the prompt (\(promptIDs.count) tokens) fills the context") }
        let blockSize = 16
        var config = SchedulerConfig(maxNumSeqs: 1, maxNumBatchedTokens: max(2048, promptIDs.count), maxModelLen: total,
                                     blockSize: blockSize, numBlocks: 0, kvCacheDType: loaded.kvCacheDType, kvGroups: loaded.model.kvLayout.groups)
        config.numBlocks = config.blocksNeeded(tokens: total)
        let engine = loaded.makeEngine(config)
        defer { engine.shutdown() }
        let request = EngineRequest(requestID: "run", promptTokenIDs: promptIDs,
                                    sampling: SamplingParams(temperature: temperature, topK: topK, topP: topP, minP: minP, seed: seed),
                                    maxTokens: total - promptIDs.count, eosTokenIDs: loaded.eosTokenIDs)
        let out = RunOutput(tokenizer: tokenizer)
        let t0 = DispatchTime.now().uptimeNanoseconds
        try engine.submit(request) { event in out.handle(event) }
        out.done.wait()
        if let failure = out.failure { throw ValidationError("generation failed: \(failure)") }
        if verbose {
            let t1 = DispatchTime.now().uptimeNanoseconds, first = out.firstTokenTime ?? t1
            let pp = Double(promptIDs.count) / (Double(first - t0) / 1e9)
            let tg = Double(max(0, out.generated - 1)) / (Double(t1 - first) / 1e9)
            FileHandle.standardError.write(Data(String(format: "prompt %d tokens, %.1f t/s; generated %d tokens, %.1f t/s; peak RSS %.1f MiB\n",
                                                       promptIDs.count, pp, out.generated, tg, Double(peakRSSBytes()) / 1048576).utf8))
        }
    }
}

/// Prints a run's tokens as they arrive (on the engine thread) and signals its end.
private final class RunOutput: @unchecked Sendable {
    var detokenizer: IncrementalDetokenizer
    let eog: Set<Int32>
    let done = DispatchSemaphore(value: 0)
    var generated = 0
    var firstTokenTime: UInt64?
    var failure: String?

    init(tokenizer: any Tokenizer) {
        detokenizer = IncrementalDetokenizer(tokenizer: tokenizer)
        eog = tokenizer.eogTokenIDs
    }

    func handle(_ event: EngineEvent) {
        switch event {
        case .token(let token, _):
            if firstTokenTime == nil { firstTokenTime = DispatchTime.now().uptimeNanoseconds }
            generated += 1
            if !eog.contains(token) { FileHandle.standardOutput.write(Data(detokenizer.push(token).utf8)) }
        case .finished:
            FileHandle.standardOutput.write(Data((detokenizer.finish() + "\n").utf8))
            done.signal()
        case .failed(let message):
            failure = message
            done.signal()
        case .scheduled, .promptLogprobs, .embedding:
            break
        }
    }
}
