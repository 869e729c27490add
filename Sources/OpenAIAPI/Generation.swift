import Engine
import Foundation
import HTTP
import Tokenizers

/// One choice's text pipeline: token ids → incremental detokenizer → stop matcher → text,
/// with its tokens, logprobs and finish.
struct Choice {
    let index: Int
    let sequence: SequenceID
    let prompt: [Int32]
    /// When its request arrived (seconds since 1970).
    let arrival: Double
    var detokenizer: IncrementalDetokenizer
    var stopMatcher: StopMatcher
    var text = ""
    var tokenIDs: [Int32] = []
    var logprobs: [TokenLogprobs] = []
    var finishReason: String?
    /// Logprobs of the prompt's tokens (the first has none), when asked for with echo.
    var promptLogprobs: [TokenLogprobs?] = []
    /// How many of `logprobs` the deltas have reported.
    var logprobsReported = 0
    /// When its last token arrived (nil before the first).
    var lastTokenTime: Double?

    /// The prompt's logprobs, nil for each token that has none.
    var promptEntries: [TokenLogprobs?] { promptLogprobs.isEmpty ? Array(repeating: nil, count: prompt.count) : promptLogprobs }

    /// Takes the logprobs of prompt tokens from position `first` on.
    mutating func takePromptLogprobs(from first: Int, _ entries: [TokenLogprobs]) {
        promptLogprobs = promptEntries
        for (j, e) in entries.enumerated() where first + j < prompt.count { promptLogprobs[first + j] = e }
    }

    /// Takes a sampled token: the text it makes safe to show, finished with "stop" when a stop string matched.
    mutating func push(_ id: Int32, _ lp: TokenLogprobs?) -> ChoiceDelta {
        tokenIDs.append(id)
        if let lp { logprobs.append(lp) }
        let out = stopMatcher.push(detokenizer.push(id))
        text += out
        return delta(out, finishReason: stopMatcher.stopped ? "stop" : nil)
    }

    /// At the finish: the text held back until now.
    mutating func flush(_ reason: String) -> ChoiceDelta {
        let tail = stopMatcher.push(detokenizer.finish()) + stopMatcher.flush()
        text += tail
        return delta(tail, finishReason: reason)
    }

    /// The delta of `text` (and `finishReason`); one with either reports the logprobs since the last such delta.
    private mutating func delta(_ text: String, finishReason: String? = nil) -> ChoiceDelta {
        var delta = ChoiceDelta(index: index, text: text, finishReason: finishReason)
        if !text.isEmpty || finishReason != nil {
            delta.logprobs = logprobsReported ..< logprobs.count
            logprobsReported = logprobs.count
        }
        return delta
    }
}

/// What a stream writer gets for each step of a choice.
struct ChoiceDelta {
    var index: Int
    var text: String
    var finishReason: String?
    /// The choice's logprobs this delta reports: on a delta with text or a finish, those of
    /// every token since the last such delta; else none.
    var logprobs: Range<Int> = 0 ..< 0
}

extension ChoiceDelta {
    /// This delta and the next of the same choice as one: texts joined, logprobs from both.
    func followed(by next: ChoiceDelta) -> ChoiceDelta {
        var merged = next
        merged.text = text + next.text
        if !logprobs.isEmpty { merged.logprobs = logprobs.lowerBound ..< max(logprobs.upperBound, next.logprobs.upperBound) }
        return merged
    }
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
    /// The grammar every choice's output must match (nil: free text).
    var constraint: TokenConstraint? = nil

    /// Runs every choice to its finish. `onClientGone` registers a callback the HTTP layer
    /// calls (from any thread) when the client hangs up; waiting for events then ends with
    /// `ClientGone` and the choices' engine requests are aborted.
    func run(onClientGone: (@escaping @Sendable () -> Void) -> Void,
             onDelta: (ChoiceDelta, Choice) throws -> Void) throws -> [Choice] {
        let count = prompts.count * options.n
        try service.admit(count)
        defer { service.release(count) }
        let queue = EventQueue()
        var choices = try submit(to: queue)
        onClientGone { queue.pushClientGone() }
        do {
            while choices.contains(where: { $0.finishReason == nil }) {
                // The deltas of everything queued, one per choice (a speculative step's accepted
                // tokens arrive together and leave as one chunk), in the order the choices moved.
                var pending: [Int: ChoiceDelta] = [:], order: [Int] = []
                for (index, event, time) in try queue.popAll() {
                    guard choices[index].finishReason == nil else { continue }
                    try apply(event, choice: index, time: time, &choices) { delta in
                        if let before = pending[delta.index] { pending[delta.index] = before.followed(by: delta) } else {
                            pending[delta.index] = delta
                            order.append(delta.index)
                        }
                    }
                }
                for i in order { if let delta = pending[i] { try onDelta(delta, choices[i]) } }
            }
        } catch {
            // The client left: noticed by the watcher, or by a write that failed first.
            // (Counted before the engine frees the requests, so an idle engine implies the count.)
            if error is ClientGone || error is HTTPServerError { service.metrics.countFinished("abort") }
            for c in choices where c.finishReason == nil { service.engine.abort(c.sequence) }
            throw error
        }
        return choices
    }

    /// One engine request per prompt, whose n samples share the prompt's KV blocks; their events go to `queue`.
    private func submit(to queue: EventQueue) throws -> [Choice] {
        let n = options.n
        let arrival = Date().timeIntervalSince1970
        var choices: [Choice] = []
        for (p, prompt) in prompts.enumerated() {
            var request = EngineRequest(requestID: "\(baseID)-\(p)", promptTokenIDs: prompt, sampling: options.sampling,
                                        maxTokens: maxTokens, eosTokenIDs: service.eosTokenIDs,
                                        stopTokenIDs: options.stopTokenIDs, ignoreEOS: options.ignoreEOS, logprobs: options.logprobs)
            request.n = n
            request.promptLogprobs = promptLogprobs
            request.constraint = constraint
            request.speculative = options.speculative
            for i in 0 ..< n {
                choices.append(Choice(index: p * n + i, sequence: SequenceID(request.requestID, i), prompt: prompt, arrival: arrival,
                                      detokenizer: IncrementalDetokenizer(tokenizer: service.tokenizer),
                                      stopMatcher: StopMatcher(stops: options.stop)))
            }
            do {
                try service.engine.submit(request) { i, event in queue.push(p * n + i, event) }
            } catch let e as EngineError {
                for c in choices.dropLast(n) { service.engine.abort(c.sequence) }
                throw APIError.invalid(e.description)
            }
        }
        return choices
    }

    /// Applies one engine event to an unfinished choice, reporting the delta it makes.
    private func apply(_ event: EngineEvent, choice index: Int, time: Double, _ choices: inout [Choice],
                       _ onDelta: (ChoiceDelta) throws -> Void) throws {
        switch event {
        case .scheduled:
            service.metrics.observeQueueTime(time - choices[index].arrival)
        case .promptLogprobs(let first, let entries):
            // Reported to a prompt's first sample; every sample of that prompt shows them.
            let p = index / options.n
            for c in p * options.n ..< (p + 1) * options.n { choices[c].takePromptLogprobs(from: first, entries) }
        case .token(let id, let lp):
            let last = choices[index].lastTokenTime
            if let last { service.metrics.observeITL(time - last) } else { service.metrics.observeTTFT(time - choices[index].arrival) }
            choices[index].lastTokenTime = time
            let delta = choices[index].push(id, lp)
            if delta.finishReason != nil { service.engine.abort(choices[index].sequence) }
            try report(delta, &choices, onDelta)
        case .finished(let reason, _, _):
            // The engine's reasons are OpenAI's (with vLLM's "abort" for requests ended from outside).
            try report(choices[index].flush(reason.rawValue), &choices, onDelta)
        case .embedding:
            break  // generation requests never carry one
        case .failed(let message):
            // `run` aborts the unfinished choices.
            throw APIError(status: 500, message: "generation failed: \(message)", type: "server_error")
        }
    }

    /// Hands a delta on, its choice finished first when it brings a finish reason.
    private func report(_ delta: ChoiceDelta, _ choices: inout [Choice], _ onDelta: (ChoiceDelta) throws -> Void) throws {
        if let reason = delta.finishReason {
            choices[delta.index].finishReason = reason
            service.metrics.countFinished(reason)
            service.metrics.observeE2E(Date().timeIntervalSince1970 - choices[delta.index].arrival)
        }
        try onDelta(delta)
    }
}
