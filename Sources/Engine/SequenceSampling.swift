/// The runner's own state for one sequence, built from its request when first scheduled:
/// the random stream it draws from (so a seeded request samples the same alone or batched)
/// and, for penalized requests, the token history its penalties read, extended by each
/// sampled token instead of rebuilt every step.
struct SequenceSampling {
    var rng: RandomSource
    /// nil when the request has no penalties (nothing to track).
    var history: Sampler.History?

    init(_ request: EngineRequest) {
        self.init(params: request.sampling, prompt: request.promptTokenIDs)
    }

    init(params p: SamplingParams, prompt: [Int32]) {
        rng = RandomSource(seed: p.seed ?? UInt64.random(in: 0 ... .max))
        let penalized = p.repetitionPenalty != 1 || p.presencePenalty != 0 || p.frequencyPenalty != 0
        history = penalized ? Sampler.History(prompt: prompt) : nil
    }

    /// One draw from `logits` (vocab floats, adjusted in place): the token, the state after
    /// it, and its logprobs (from the raw logits, before bias and penalties) if asked for.
    func draw(_ logits: UnsafeMutablePointer<Float>, vocab: Int, spec: SampleSpec) -> (token: Int32, next: SequenceSampling, logprobs: TokenLogprobs?) {
        var next = self
        let raw: [Float] = spec.logprobs != nil ? Array(UnsafeBufferPointer(start: logits, count: vocab)) : []  // (vocab) before sampling
        let token = Sampler.sample(logits, vocab: vocab, params: spec.params, history: history ?? Sampler.History(), rng: &next.rng)
        next.history?.append(token)
        let logprobs = spec.logprobs.map { k in
            raw.withUnsafeBufferPointer { TokenLogprobs.compute($0.baseAddress!, vocab: vocab, token: token, k: k) }
        }
        return (token, next, logprobs)
    }
}
