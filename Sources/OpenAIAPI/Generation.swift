import Engine
import Foundation
import HTTP
import Tokenizers

/// One choice's text pipeline: token ids → incremental detokenizer → stop matcher → text,
/// with its tokens, logprobs and finish.
struct Choice {
    let index: Int
    let sequence: SequenceID
    let promptTokens: Int
    var detokenizer: IncrementalDetokenizer
    var stopMatcher: StopMatcher
    var text = ""
    var tokenIDs: [Int32] = []
    var logprobs: [TokenLogprobs] = []
    var finishReason: String?
    /// Logprobs of the prompt's tokens (the first has none), when asked for with echo.
    var promptLogprobs: [TokenLogprobs?] = []
}

/// What a stream writer gets for each step of a choice.
struct ChoiceDelta {
    var index: Int
    var text: String
    /// Token indices (into the choice's tokenIDs/logprobs) this delta accounts for.
    var tokens: Range<Int>
    var finishReason: String?
}

/// The client went away; its engine requests were aborted.
struct ClientGone: Error {}

/// Runs the choices of one API request on the engine: submits them, pumps their events,
/// applies stop strings (aborting the engine request on a match), watches for the client
/// leaving, and reports deltas as they form.
struct Generation {
    let service: ModelService
    let options: GenerationOptions
    let prompts: [[Int32]]
    let maxTokens: Int
    let baseID: String
    /// Alternatives per prompt token when prompt logprobs are wanted (echo with logprobs).
    var promptLogprobs: Int? = nil

    /// The choices' progress while their events are applied.
    private struct Progress {
        let arrival: Double
        var choices: [Choice] = []
        var unfinished = 0
        var firstToken: [Bool] = []
        var lastTokenTime: [Double] = []
    }

    /// Runs every choice to its finish. `onClientGone` registers a callback the HTTP layer
    /// calls (from any thread) when the client hangs up; waiting for events then ends with
    /// `ClientGone` and the choices' engine requests are aborted.
    func run(onClientGone: (@escaping @Sendable () -> Void) -> Void,
             onDelta: (ChoiceDelta, [Choice]) throws -> Void) throws -> [Choice] {
        let count = prompts.count * options.n
        try service.admit(count)
        defer { service.release(count) }
        let queue = EventQueue()
        var progress = try submit(to: queue)
        onClientGone { queue.pushClientGone() }
        do {
            while progress.unfinished > 0 {
                for (index, event, time) in try queue.popAll() {
                    guard progress.choices[index].finishReason == nil else { continue }
                    try apply(event, choice: index, time: time, &progress, onDelta)
                }
            }
        } catch {
            // The client left: noticed by the watcher, or by a write that failed first.
            // (Counted before the engine frees the requests, so an idle engine implies the count.)
            if error is ClientGone || error is HTTPServerError { service.metrics.countFinished("abort") }
            for c in progress.choices where c.finishReason == nil { service.engine.abort(c.sequence) }
            throw error
        }
        return progress.choices
    }

    /// One engine request per prompt, whose n samples share the prompt's KV blocks; their events go to `queue`.
    private func submit(to queue: EventQueue) throws -> Progress {
        let n = options.n
        var progress = Progress(arrival: Date().timeIntervalSince1970)
        for (p, prompt) in prompts.enumerated() {
            let request = EngineRequest(requestID: "\(baseID)-\(p)", promptTokenIDs: prompt, sampling: options.sampling,
                                        maxTokens: maxTokens, eosTokenIDs: service.tokenizer.eogTokenIDs.union(service.endTokenIDs),
                                        stopTokenIDs: options.stopTokenIDs, ignoreEOS: options.ignoreEOS, logprobs: options.logprobs)
            var withN = request
            withN.n = n
            withN.promptLogprobs = promptLogprobs
            for i in 0 ..< n {
                progress.choices.append(Choice(index: p * n + i, sequence: SequenceID(request.requestID, i), promptTokens: prompt.count,
                                               detokenizer: IncrementalDetokenizer(tokenizer: service.tokenizer),
                                               stopMatcher: StopMatcher(stops: options.stop)))
            }
            do {
                try service.engine.submit(withN) { i, event in queue.push(p * n + i, event) }
            } catch let e as EngineError {
                for c in progress.choices.dropLast(n) { service.engine.abort(c.sequence) }
                throw APIError.invalid(e.description)
            }
        }
        progress.unfinished = progress.choices.count
        progress.firstToken = Array(repeating: true, count: progress.choices.count)
        progress.lastTokenTime = Array(repeating: 0.0, count: progress.choices.count)
        return progress
    }

    /// Applies one engine event to an unfinished choice, reporting the delta it makes.
    private func apply(_ event: EngineEvent, choice index: Int, time: Double, _ progress: inout Progress,
                       _ onDelta: (ChoiceDelta, [Choice]) throws -> Void) throws {
        let n = options.n
        switch event {
        case .scheduled:
            service.metrics.observeQueueTime(time - progress.arrival)
        case .promptLogprobs(let first, let entries):
            // Reported to a prompt's first sample; every sample of that prompt shows them.
            let p = index / n
            for c in p * n ..< (p + 1) * n {
                if progress.choices[c].promptLogprobs.isEmpty {
                    progress.choices[c].promptLogprobs = Array(repeating: nil, count: progress.choices[c].promptTokens)
                }
                for (j, e) in entries.enumerated() where first + j < progress.choices[c].promptTokens { progress.choices[c].promptLogprobs[first + j] = e }
            }
        case .token(let id, let lp):
            if progress.firstToken[index] { service.metrics.observeTTFT(time - progress.arrival); progress.firstToken[index] = false }
            else { service.metrics.observeITL(time - progress.lastTokenTime[index]) }
            progress.lastTokenTime[index] = time
            let start = progress.choices[index].tokenIDs.count
            progress.choices[index].tokenIDs.append(id)
            if let lp { progress.choices[index].logprobs.append(lp) }
            let piece = progress.choices[index].detokenizer.push(id)
            let out = progress.choices[index].stopMatcher.push(piece)
            progress.choices[index].text += out
            var delta = ChoiceDelta(index: index, text: out, tokens: start ..< start + 1)
            if progress.choices[index].stopMatcher.stopped {
                service.engine.abort(progress.choices[index].sequence)
                delta.finishReason = "stop"
                finish(&progress.choices[index], "stop", &progress.unfinished, progress.arrival)
            }
            try onDelta(delta, progress.choices)
        case .finished(let finishReason, _, _):
            let reason = finishReason.openAI
            let c = progress.choices[index]
            let tail = progress.choices[index].stopMatcher.push(progress.choices[index].detokenizer.finish()) + progress.choices[index].stopMatcher.flush()
            progress.choices[index].text += tail
            finish(&progress.choices[index], reason, &progress.unfinished, progress.arrival)
            try onDelta(ChoiceDelta(index: index, text: tail, tokens: c.tokenIDs.count ..< c.tokenIDs.count, finishReason: reason), progress.choices)
        case .failed(let message):
            for c in progress.choices where c.finishReason == nil { service.engine.abort(c.sequence) }
            throw APIError(status: 500, message: "generation failed: \(message)", type: "server_error")
        }
    }

    private func finish(_ c: inout Choice, _ reason: String, _ unfinished: inout Int, _ arrival: Double) {
        c.finishReason = reason
        unfinished -= 1
        service.metrics.countFinished(reason)
        service.metrics.observeE2E(Date().timeIntervalSince1970 - arrival)
    }
}
