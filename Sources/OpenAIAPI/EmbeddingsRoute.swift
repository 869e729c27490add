import Engine
import Foundation
import HTTP
import JSON

/// `POST /v1/embeddings`: each input becomes one prompt-only engine request (batched with
/// whatever else runs, its blocks freed when its prompt is done) whose pooled, normalized final
/// hidden state is the embedding.
struct EmbeddingsRoute {
    let service: ModelService

    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) throws {
        let fields = try RequestFields(request.body)
        try GenerationJob.checkModel(fields, service)
        guard service.engine.pooling != nil else {
            throw APIError.invalid("the model `\(service.modelName)` cannot produce embeddings (its architecture has no hidden-state output)",
                                   param: "model", code: "model_not_supported")
        }
        let tokenizer = service.tokenizer
        let body = try EmbeddingsRequest(fields, encode: { tokenizer.encode($0, addSpecial: true, parseSpecial: false) },
                                         vocabularySize: tokenizer.vocabularySize, maxTokens: service.maxModelLen,
                                         width: service.embeddingWidth, truncatable: service.truncatableEmbeddings)
        let vectors = try run(body.inputs, onClientGone: responder.onPeerClosed)
        let tokens = body.inputs.reduce(0) { $0 + $1.count }
        let data: [JSON] = vectors.enumerated().map { i, v in
            .object([("object", .string("embedding")), ("index", .int(i)), ("embedding", body.encoded(v))])
        }
        responder.send(jsonResponse(.object([
            ("object", .string("list")), ("data", .array(data)), ("model", .string(service.modelName)),
            ("usage", .object([("prompt_tokens", .int(tokens)), ("total_tokens", .int(tokens))])),
        ])))
    }

    /// Every input's vector, submitted in windows of at most `maxNumSeqs` engine requests (so a
    /// long list never exceeds what admission allows at once).
    private func run(_ inputs: [[Int32]], onClientGone: (@escaping @Sendable () -> Void) -> Void) throws -> [[Float]] {
        let base = "embd-" + (0 ..< 3).map { _ in String(format: "%08x", UInt32.random(in: 0 ... .max)) }.joined()
        let queue = EventQueue()
        onClientGone { queue.pushClientGone() }
        var vectors: [[Float]?] = Array(repeating: nil, count: inputs.count)
        let window = max(1, service.engine.config.maxNumSeqs)
        var start = 0
        while start < inputs.count {
            let range = start ..< min(inputs.count, start + window)
            try service.admit(range.count)
            defer { service.release(range.count) }
            var open = Set<Int>()
            do {
                for i in range {
                    var r = EngineRequest(requestID: "\(base)-\(i)", promptTokenIDs: inputs[i], maxTokens: 0)
                    r.embed = service.engine.pooling
                    do {
                        try service.engine.submit(r) { event in queue.push(i, event) }
                    } catch let e as EngineError {
                        throw APIError.invalid("input \(i): \(e.description)", param: "input")
                    }
                    open.insert(i)
                }
                while !open.isEmpty {
                    for (i, event, _) in try queue.popAll() {
                        switch event {
                        case .embedding(let v): vectors[i] = v
                        case .finished(let reason, _, _):
                            open.remove(i)
                            guard vectors[i] != nil else {
                                throw APIError(status: 500, message: "embedding input \(i) ended without a vector (\(reason.rawValue))", type: "server_error")
                            }
                        case .failed(let message):
                            open.remove(i)
                            throw APIError(status: 500, message: "embedding failed: \(message)", type: "server_error")
                        case .scheduled, .token, .promptLogprobs: break
                        }
                    }
                }
            } catch {
                for i in open { service.engine.abort(SequenceID("\(base)-\(i)")) }
                throw error
            }
            start = range.upperBound
        }
        service.metrics.countFinished("stop")
        return vectors.map { $0 ?? [] }
    }
}
