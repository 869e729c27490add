import Engine
import Foundation
import HTTP
import JSON
import Tokenizers

/// `POST /v1/completions`: prompt as a string, strings, token ids or lists of token ids;
/// `n`, `echo`, legacy `logprobs`, stop strings, streaming.
struct CompletionsRoute {
    let service: ModelService

    /// One request's prompts and settings, shared by the streamed and the whole answer.
    private struct Job {
        let options: GenerationOptions
        let prompts: [[Int32]]
        let echo: Bool
        /// The echoed prompts' text (empty without echo).
        let echoes: [String]
        let generation: Generation
        var chunk: ChunkShape

        func promptIndex(_ choice: Int) -> Int { choice / options.n }
    }

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
        var generation = Generation(service: service, options: options, prompts: prompts, maxTokens: maxTokens, baseID: id)
        if echo { generation.promptLogprobs = options.logprobs }
        let job = Job(options: options, prompts: prompts, echo: echo,
                      echoes: echo ? prompts.map { service.tokenizer.decode($0, skipSpecial: false) } : [], generation: generation,
                      chunk: ChunkShape(id: id, object: "text_completion", service: service, includeUsage: options.includeUsage))
        if options.stream { try stream(job, responder) } else { try respond(job, responder) }
    }

    /// The prompt of choice `c` as legacy logprobs (the first token null), and where its text ends.
    private func promptLogprobs(_ job: Job, _ c: Choice) -> (json: JSON, endOffset: Int) {
        let prompt = job.prompts[job.promptIndex(c.index)]
        let entries = c.promptLogprobs.isEmpty ? Array(repeating: nil, count: prompt.count) : c.promptLogprobs
        return LogprobsFormat.legacy(ids: prompt[...], logprobs: entries[...], offset: 0, tokenizer: service.tokenizer)
    }

    /// Server-sent events: each choice's echoed prompt first, then its deltas with their logprobs.
    private func stream(_ job: Job, _ responder: HTTPResponder) throws {
        let sse = SSEWriter(responder: responder)
        try sse.open()
        let count = job.prompts.count * job.options.n
        var sentFrom = Array(repeating: 0, count: count), offsets = Array(repeating: 0, count: count)
        var echoed = Array(repeating: !job.echo, count: count)
        sse.run {
            let choices = try job.generation.run(onClientGone: responder.onPeerClosed) { delta, choices in
                let c = choices[delta.index], text = job.echoes.isEmpty ? "" : job.echoes[job.promptIndex(delta.index)]
                if !echoed[delta.index] {
                    // The prompt first (its logprobs arrived before the first token).
                    echoed[delta.index] = true
                    var lp = JSON.null
                    offsets[delta.index] = text.unicodeScalars.count
                    if job.options.logprobs != nil { (lp, offsets[delta.index]) = promptLogprobs(job, c) }
                    try sse.send(job.chunk.make(choice: delta.index, body: [("text", .string(text)), ("logprobs", lp)], finish: nil))
                }
                guard !delta.text.isEmpty || delta.finishReason != nil else { return }
                var lp = JSON.null
                if job.options.logprobs != nil {
                    let r = sentFrom[delta.index] ..< min(c.tokenIDs.count, c.logprobs.count)
                    (lp, offsets[delta.index]) = LogprobsFormat.legacy(ids: c.tokenIDs[r], logprobs: c.logprobs[r].map { $0 }[...],
                                                                       offset: offsets[delta.index], tokenizer: service.tokenizer)
                    sentFrom[delta.index] = r.upperBound
                }
                try sse.send(job.chunk.make(choice: delta.index, body: [("text", .string(delta.text)), ("logprobs", lp)], finish: delta.finishReason))
            }
            if job.options.includeUsage { try sse.send(job.chunk.usageChunk(usage(job.prompts, choices))) }
        }
    }

    /// One JSON answer with every choice, echoed prompts and logprobs included.
    private func respond(_ job: Job, _ responder: HTTPResponder) throws {
        let choices = try job.generation.run(onClientGone: responder.onPeerClosed) { _, _ in }
        let items: [JSON] = choices.map { c in
            var lp = JSON.null
            if job.options.logprobs != nil {
                let prompt = job.echo ? job.prompts[job.promptIndex(c.index)] : []
                let promptEntries: [TokenLogprobs?] = job.echo ? (c.promptLogprobs.isEmpty ? Array(repeating: nil, count: prompt.count) : c.promptLogprobs) : []
                let ids = prompt + Array(c.tokenIDs[0 ..< c.logprobs.count])
                let entries = promptEntries + c.logprobs.map { $0 }
                lp = LogprobsFormat.legacy(ids: ids[...], logprobs: entries[...], offset: 0, tokenizer: service.tokenizer).json
            }
            let prefix = job.echo ? job.echoes[job.promptIndex(c.index)] : ""
            return .object([("index", .int(c.index)), ("text", .string(prefix + c.text)), ("logprobs", lp),
                            ("finish_reason", .string(c.finishReason ?? "stop"))])
        }
        var chunk = job.chunk
        chunk.includeUsage = false
        responder.send(jsonResponse(chunk.complete(choices: items, usage: usage(job.prompts, choices))))
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
