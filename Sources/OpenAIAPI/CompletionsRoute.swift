import Engine
import Foundation
import HTTP
import JSON
import Tokenizers

/// `POST /v1/completions`: prompt as a string, strings, token ids or lists of token ids;
/// `n`, `echo`, legacy `logprobs`, stop strings, streaming.
struct CompletionsRoute {
    let service: ModelService

    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) throws {
        var echo = false
        var job = try GenerationJob(request, service, chat: false) { fields in
            let prompts = try promptTokens(fields)
            echo = try fields.bool("echo") ?? false
            return prompts
        }
        if echo { job.generation.promptLogprobs = job.options.logprobs }
        // The echoed prompts' text, by prompt.
        let echoes = echo ? job.prompts.map { service.tokenizer.decode($0, skipSpecial: false) } : []
        let wanted = job.options.logprobs != nil, n = job.options.n
        // Per choice: whether its prompt went out yet (streamed), and where its text ends.
        var echoed = Array(repeating: !echo, count: job.prompts.count * n), offsets = Array(repeating: 0, count: job.prompts.count * n)
        try job.answer(responder, onDelta: { delta, c, send in
            if !echoed[c.index] {
                // The prompt first (its logprobs arrived before the first token).
                echoed[c.index] = true
                var lp = JSON.null
                offsets[c.index] = echoes[c.index / n].unicodeScalars.count
                if wanted { (lp, offsets[c.index]) = legacy(c.prompt[...], c.promptEntries[...], offset: 0) }
                try send([("text", .string(echoes[c.index / n])), ("logprobs", lp)], nil)
            }
            guard !delta.text.isEmpty || delta.finishReason != nil else { return }
            var lp = JSON.null
            if wanted {
                let r = delta.logprobs
                (lp, offsets[c.index]) = legacy(c.tokenIDs[r], c.logprobs[r].map { $0 }[...], offset: offsets[c.index])
            }
            try send([("text", .string(delta.text)), ("logprobs", lp)], delta.finishReason)
        }, item: { c in
            var lp = JSON.null
            if wanted {
                let ids = (echo ? c.prompt : []) + c.tokenIDs[0 ..< c.logprobs.count], all = (echo ? c.promptEntries : []) + c.logprobs.map { $0 }
                lp = legacy(ids[...], all[...], offset: 0).json
            }
            return .object([("index", .int(c.index)), ("text", .string((echo ? echoes[c.index / n] : "") + c.text)), ("logprobs", lp),
                            ("finish_reason", .string(c.finishReason ?? "stop"))])
        })
    }

    private func legacy(_ ids: ArraySlice<Int32>, _ entries: ArraySlice<TokenLogprobs?>, offset: Int) -> (json: JSON, endOffset: Int) {
        LogprobsFormat.legacy(ids: ids, logprobs: entries, offset: offset, tokenizer: service.tokenizer)
    }

    private func promptTokens(_ f: RequestFields) throws -> [[Int32]] {
        guard let prompt = f["prompt"] else { throw APIError.invalid("'prompt' is required", param: "prompt") }
        let vocab = 0 ... service.tokenizer.vocabularySize - 1
        let ids = { (list: [JSON]) in try list.map { Int32(try RequestFields.integer($0, name: "prompt", in: vocab)) } }
        let encode = { (s: String) -> [Int32] in service.tokenizer.encode(s, addSpecial: true, parseSpecial: true) }
        let bad = APIError.invalid("'prompt' must be a string, an array of strings, an array of token ids or an array of arrays of token ids",
                                   param: "prompt")
        var prompts: [[Int32]]
        switch prompt {
        case .string(let s): prompts = [encode(s)]
        case .array(let items):
            guard let first = items.first else { throw APIError.invalid("'prompt' must not be an empty array", param: "prompt") }
            switch first {
            case .string: prompts = try items.map { guard case .string(let s) = $0 else { throw bad }; return encode(s) }
            case .number: prompts = [try ids(items)]
            case .array: prompts = try items.map { guard case .array(let list) = $0 else { throw bad }; return try ids(list) }
            default: throw bad
            }
        default: throw bad
        }
        guard prompts.count <= 16 else { throw APIError.invalid("at most 16 prompts per request", param: "prompt") }
        guard prompts.allSatisfy({ !$0.isEmpty }) else { throw APIError.invalid("a prompt has no tokens", param: "prompt") }
        return prompts
    }
}
