import Kernels
import Models

/// Turns a scheduler step into one batched forward pass over every scheduled token —
/// prompt chunks and decode rows together — then samples one token for each request that
/// finished its prompt or is decoding, from logits computed only for those rows.
public final class ModelRunner {
    public let model: any LanguageModel
    public let cache: PagedKVCache
    /// Per request: its own random stream (so a seeded request samples the same alone or batched).
    private var streams: [String: RandomSource] = [:]
    /// Logprobs of the last step's sampled tokens, for requests that asked for them.
    public private(set) var lastLogprobs: [String: TokenLogprobs] = [:]

    public init(model: any LanguageModel, numBlocks: Int, blockSize: Int) {
        self.model = model
        cache = model.makeCache(numBlocks: numBlocks, blockSize: blockSize)
    }

    /// Runs `output` and returns the sampled token of every request with `needsSample`.
    public func execute(_ output: SchedulerOutput, scheduler: Scheduler) throws -> [String: Int32] {
        guard !output.scheduled.isEmpty else { return [:] }
        var batch = ForwardBatch()
        var sampling: [ScheduledRequest] = []
        // Shortest first (decode rows, then prompt chunks by length): the model sends the
        // leading short sequences through GEMV and long chunks through GEMM, so each
        // sequence's arithmetic depends on its own length only.
        for item in output.scheduled.enumerated().sorted(by: { ($0.element.tokenIDs.count, $0.offset) < ($1.element.tokenIDs.count, $1.offset) }).map(\.element) {
            batch.append(tokens: item.tokenIDs, startPosition: item.startPosition, blockTable: item.blockTable,
                         logitsFor: item.needsSample ? [item.tokenIDs.count - 1] : [])
            if item.needsSample { sampling.append(item) }
        }
        let logits = try model.forward(batch, cache: cache)  // (sampling.count, vocab)
        let vocab = model.config.vocabularySize
        var sampled: [String: Int32] = [:]
        lastLogprobs = [:]
        var raw: [Float] = []  // (vocab) a copy of the row before sampling adjusts it
        for (row, item) in sampling.enumerated() {
            guard let state = scheduler.state(item.requestID) else { continue }
            let params = state.request.sampling
            var history = Sampler.History()
            if params.repetitionPenalty != 1 || params.presencePenalty != 0 || params.frequencyPenalty != 0 {
                history = Sampler.History(prompt: state.request.promptTokenIDs)
                for t in state.outputTokenIDs { history.append(t) }
            }
            var rng = streams[item.requestID] ?? RandomSource(seed: params.seed ?? UInt64.random(in: 0 ... .max))
            let k = state.request.logprobs
            if k != nil { raw = Array(UnsafeBufferPointer(start: logits.pointer + row * vocab, count: vocab)) }
            let token = Sampler.sample(logits.pointer + row * vocab, vocab: vocab, params: params, history: history, rng: &rng)
            sampled[item.requestID] = token
            streams[item.requestID] = rng
            if let k {
                lastLogprobs[item.requestID] = raw.withUnsafeBufferPointer {
                    TokenLogprobs.compute($0.baseAddress!, vocab: vocab, token: token, k: k)
                }
            }
        }
        return sampled
    }

    /// Forgets a finished request's random stream.
    public func release(_ requestID: String) { streams[requestID] = nil }
}
