import Engine
import Foundation
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

    func run(isClientGone: () -> Bool, onDelta: (ChoiceDelta, [Choice]) throws -> Void) throws -> [Choice] {
        let n = options.n
        let count = prompts.count * n
        try service.admit(count)
        defer { service.release(count) }
        let arrival = Date().timeIntervalSince1970
        let queue = EventQueue()
        var choices: [Choice] = []
        // One engine request per prompt; its n samples share the prompt's KV blocks.
        for (p, prompt) in prompts.enumerated() {
            let request = EngineRequest(requestID: "\(baseID)-\(p)", promptTokenIDs: prompt, sampling: options.sampling,
                                        maxTokens: maxTokens, eosTokenIDs: service.tokenizer.eogTokenIDs.union(service.endTokenIDs),
                                        stopTokenIDs: options.stopTokenIDs, ignoreEOS: options.ignoreEOS, logprobs: options.logprobs)
            var withN = request
            withN.n = n
            withN.promptLogprobs = promptLogprobs
            for i in 0 ..< n {
                choices.append(Choice(index: p * n + i, sequence: SequenceID(request.requestID, i), promptTokens: prompt.count,
                                      detokenizer: IncrementalDetokenizer(tokenizer: service.tokenizer),
                                      stopMatcher: StopMatcher(stops: options.stop)))
            }
            do {
                try service.engine.submit(withN) { i, event in queue.push(p * n + i, event) }
            } catch let e as EngineError {
                for c in choices.dropLast(n) { service.engine.abort(c.sequence) }
                throw APIError.invalid(e.description)
            }
        }
        var unfinished = count
        var firstToken = Array(repeating: true, count: count)
        var lastTokenTime = Array(repeating: 0.0, count: count)
        do {
            while unfinished > 0 {
                let batch = queue.popAll(timeout: 0.1)
                if batch.isEmpty {
                    if isClientGone() { throw ClientGone() }
                    continue
                }
                for (index, event, time) in batch {
                    guard choices[index].finishReason == nil else { continue }
                    switch event {
                    case .scheduled:
                        service.metrics.observeQueueTime(time - arrival)
                    case .promptLogprobs(let first, let entries):
                        // Reported to a prompt's first sample; every sample of that prompt shows them.
                        let p = index / n
                        for c in p * n ..< (p + 1) * n {
                            if choices[c].promptLogprobs.isEmpty { choices[c].promptLogprobs = Array(repeating: nil, count: choices[c].promptTokens) }
                            for (j, e) in entries.enumerated() where first + j < choices[c].promptTokens { choices[c].promptLogprobs[first + j] = e }
                        }
                    case .token(let id, let lp):
                        if firstToken[index] { service.metrics.observeTTFT(time - arrival); firstToken[index] = false }
                        else { service.metrics.observeITL(time - lastTokenTime[index]) }
                        lastTokenTime[index] = time
                        let start = choices[index].tokenIDs.count
                        choices[index].tokenIDs.append(id)
                        if let lp { choices[index].logprobs.append(lp) }
                        let piece = choices[index].detokenizer.push(id)
                        let out = choices[index].stopMatcher.push(piece)
                        choices[index].text += out
                        var delta = ChoiceDelta(index: index, text: out, tokens: start ..< start + 1)
                        if choices[index].stopMatcher.stopped {
                            service.engine.abort(choices[index].sequence)
                            delta.finishReason = "stop"
                        }
                        if delta.finishReason != nil { finish(&choices[index], "stop", &unfinished, arrival) }
                        try onDelta(delta, choices)
                    case .finished(let finishReason, _, _):
                        let reason = finishReason.openAI
                        let tail = choices[index].stopMatcher.push(choices[index].detokenizer.finish()) + choices[index].stopMatcher.flush()
                        choices[index].text += tail
                        let all = choices[index].tokenIDs.count
                        finish(&choices[index], reason, &unfinished, arrival)
                        try onDelta(ChoiceDelta(index: index, text: tail, tokens: all ..< all, finishReason: reason), choices)
                    case .failed(let message):
                        for c in choices where c.finishReason == nil { service.engine.abort(c.sequence) }
                        throw APIError(status: 500, message: "generation failed: \(message)", type: "server_error")
                    }
                }
            }
        } catch {
            for c in choices where c.finishReason == nil { service.engine.abort(c.sequence) }
            if error is ClientGone { service.metrics.countFinished("abort") }
            throw error
        }
        return choices
    }

    private func finish(_ c: inout Choice, _ reason: String, _ unfinished: inout Int, _ arrival: Double) {
        c.finishReason = reason
        unfinished -= 1
        service.metrics.countFinished(reason)
        service.metrics.observeE2E(Date().timeIntervalSince1970 - arrival)
    }
}
