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
        let fields = try RequestFields(request.body)
        try checkModel(fields, service)
        let options = try GenerationOptions(fields, vocabularySize: service.tokenizer.vocabularySize, chat: false,
                                            defaults: service.samplingDefaults)
        let prompts = try promptTokens(fields)
        let echo = try fields.bool("echo") ?? false
        let maxTokens = options.maxTokens ?? 16
        for p in prompts { try checkContext(promptTokens: p.count, maxTokens: maxTokens, service) }
        let id = "cmpl-" + randomHex()
        let echoes = echo ? prompts.map { service.tokenizer.decode($0, skipSpecial: false) } : []
        var generation = Generation(service: service, options: options, prompts: prompts, maxTokens: maxTokens, baseID: id)
        if echo { generation.promptLogprobs = options.logprobs }
        let n = options.n
        func promptIndex(_ choice: Int) -> Int { choice / n }
        var chunk = ChunkShape(id: id, object: "text_completion", service: service, includeUsage: options.includeUsage)
        /// The echoed prompt of choice c as legacy logprobs (first token null), and where its text ends.
        func echoLogprobs(_ c: Choice) -> (json: JSON, endOffset: Int) {
            let prompt = prompts[promptIndex(c.index)]
            let entries = c.promptLogprobs.isEmpty ? Array(repeating: nil, count: prompt.count) : c.promptLogprobs
            return LogprobsFormat.legacy(ids: prompt[...], logprobs: entries[...], offset: 0, tokenizer: service.tokenizer)
        }

        if options.stream {
            let sse = SSEWriter(responder: responder)
            try sse.open()
            var sentFrom = Array(repeating: 0, count: prompts.count * n)
            var offsets = Array(repeating: 0, count: prompts.count * n)
            var echoed = Array(repeating: !echo, count: prompts.count * n)
            sse.run {
                let choices = try generation.run(onClientGone: responder.onPeerClosed) { delta, choices in
                    let c = choices[delta.index]
                    if !echoed[delta.index] {
                        // The prompt first (its logprobs arrived before the first token).
                        echoed[delta.index] = true
                        var lp = JSON.null
                        offsets[delta.index] = echoes[promptIndex(delta.index)].unicodeScalars.count
                        if options.logprobs != nil {
                            let made = echoLogprobs(c)
                            lp = made.json
                            offsets[delta.index] = made.endOffset
                        }
                        try sse.send(chunk.make(choice: delta.index, body: [("text", .string(echoes[promptIndex(delta.index)])), ("logprobs", lp)], finish: nil))
                    }
                    guard !delta.text.isEmpty || delta.finishReason != nil else { return }
                    var lp = JSON.null
                    if options.logprobs != nil {
                        let r = sentFrom[delta.index] ..< min(c.tokenIDs.count, c.logprobs.count)
                        let made = LogprobsFormat.legacy(ids: c.tokenIDs[r], logprobs: c.logprobs[r].map { $0 }[...], offset: offsets[delta.index],
                                                         tokenizer: service.tokenizer)
                        lp = made.json
                        offsets[delta.index] = made.endOffset
                        sentFrom[delta.index] = r.upperBound
                    }
                    try sse.send(chunk.make(choice: delta.index, body: [("text", .string(delta.text)), ("logprobs", lp)], finish: delta.finishReason))
                }
                if options.includeUsage { try sse.send(chunk.usageChunk(usage(prompts, choices))) }
            }
            return
        }

        let choices = try generation.run(onClientGone: responder.onPeerClosed) { _, _ in }
        let items: [JSON] = choices.map { c in
            let prefix = echo ? echoes[promptIndex(c.index)] : ""
            var lp = JSON.null
            if options.logprobs != nil {
                let prompt = echo ? prompts[promptIndex(c.index)] : []
                let promptEntries: [TokenLogprobs?] = echo ? (c.promptLogprobs.isEmpty ? Array(repeating: nil, count: prompt.count) : c.promptLogprobs) : []
                let ids = prompt + Array(c.tokenIDs[0 ..< c.logprobs.count])
                let entries = promptEntries + c.logprobs.map { $0 }
                lp = LogprobsFormat.legacy(ids: ids[...], logprobs: entries[...], offset: 0, tokenizer: service.tokenizer).json
            }
            return .object([("index", .int(c.index)), ("text", .string(prefix + c.text)), ("logprobs", lp),
                            ("finish_reason", .string(c.finishReason ?? "stop"))])
        }
        chunk.includeUsage = false
        responder.send(jsonResponse(chunk.complete(choices: items, usage: usage(prompts, choices))))
    }

    private func promptTokens(_ f: RequestFields) throws -> [[Int32]] {
        guard let prompt = f["prompt"] else { throw APIError.invalid("'prompt' is required", param: "prompt") }
        let vocab = service.tokenizer.vocabularySize
        let encode = { (s: String) -> [Int32] in service.tokenizer.encode(s, addSpecial: true, parseSpecial: true) }
        let bad = APIError.invalid("'prompt' must be a string, an array of strings, an array of token ids or an array of arrays of token ids", param: "prompt")
        var prompts: [[Int32]]
        switch prompt {
        case .string(let s): prompts = [encode(s)]
        case .array(let items):
            guard let first = items.first else { throw APIError.invalid("'prompt' must not be an empty array", param: "prompt") }
            switch first {
            case .string:
                prompts = try items.map { guard case .string(let s) = $0 else { throw bad }; return encode(s) }
            case .number:
                prompts = [try items.map { Int32(try RequestFields.integer($0, name: "prompt", in: 0 ... vocab - 1)) }]
            case .array:
                prompts = try items.map {
                    guard case .array(let ids) = $0 else { throw bad }
                    return try ids.map { Int32(try RequestFields.integer($0, name: "prompt", in: 0 ... vocab - 1)) }
                }
            default: throw bad
            }
        default: throw bad
        }
        guard prompts.count <= 16 else { throw APIError.invalid("at most 16 prompts per request", param: "prompt") }
        guard prompts.allSatisfy({ !$0.isEmpty }) else { throw APIError.invalid("a prompt has no tokens", param: "prompt") }
        return prompts
    }
}

func usage(_ prompts: [[Int32]], _ choices: [Choice]) -> JSON {
    let p = prompts.reduce(0) { $0 + $1.count }
    let c = choices.reduce(0) { $0 + $1.tokenIDs.count }
    return .object([("prompt_tokens", .int(p)), ("completion_tokens", .int(c)), ("total_tokens", .int(p + c))])
}

func checkModel(_ f: RequestFields, _ service: ModelService) throws {
    if let model = try f.string("model"), model != service.modelName {
        throw APIError(status: 404, message: "The model `\(model)` does not exist; this server serves `\(service.modelName)`.",
                       type: "invalid_request_error", param: "model", code: "model_not_found")
    }
}

func checkContext(promptTokens: Int, maxTokens: Int, _ service: ModelService) throws {
    guard promptTokens + maxTokens <= service.maxModelLen else {
        throw APIError.invalid("This model's maximum context length is \(service.maxModelLen) tokens. However, you requested \(promptTokens + maxTokens) tokens (\(promptTokens) in the prompt, \(maxTokens) for the completion). Please reduce the prompt or max_tokens.",
                               param: "max_tokens", code: "context_length_exceeded")
    }
}

func randomHex() -> String {
    (0 ..< 3).map { _ in String(format: "%08x", UInt32.random(in: 0 ... .max)) }.joined()
}

func jsonResponse(_ value: JSON, status: Int = 200) -> HTTPResponse {
    HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(value.serialized.utf8))
}
