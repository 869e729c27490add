#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// The runner's own state for one sequence, built from its request when first scheduled:
/// the random stream it draws from (so a seeded request samples the same alone or batched),
/// for penalized requests the token history its penalties read (extended by each sampled
/// token instead of rebuilt every step), and for constrained requests its grammar state.
struct SequenceSampling {
    var rng: RandomSource
    /// nil when the request has no penalties (nothing to track).
    var history: Sampler.History?
    /// nil when the request's output is free.
    let grammar: GrammarRow?
    /// Tokens that end the sequence, allowed by the grammar only where it may end.
    let ends: Set<Int32>

    /// What one draw produced.
    struct Draw {
        var token: Int32
        var logprobs: TokenLogprobs?
        /// The grammar is complete: the sequence ends with this token.
        var ended = false
        /// Time spent computing and applying the grammar's mask (0 when none applied).
        var maskNanos: UInt64 = 0
        var masked = false
    }

    /// What a row's draws produced: one per position while they equal the step's guesses.
    struct Run {
        var tokens: [Int32] = []
        var logprobs: [TokenLogprobs] = []
        var ended = false
        var maskNanos: UInt64 = 0
        var maskedRows = 0
    }

    init(_ request: EngineRequest) {
        self.init(params: request.sampling, prompt: request.promptTokenIDs, grammar: request.constraint.map { GrammarRow($0, budget: request.maxTokens) },
                  ends: request.stopTokenIDs.union(request.ignoreEOS ? [] : request.eosTokenIDs))
    }

    init(params p: SamplingParams, prompt: [Int32], grammar: GrammarRow? = nil, ends: Set<Int32> = []) {
        rng = RandomSource(seed: p.seed ?? UInt64.random(in: 0 ... .max))
        let penalized = p.repetitionPenalty != 1 || p.presencePenalty != 0 || p.frequencyPenalty != 0
        history = penalized ? Sampler.History(prompt: prompt) : nil
        self.grammar = grammar
        self.ends = ends
    }

    /// Draws from `logits` ((spec.draft.count + 1) rows of vocab floats) position after
    /// position, as plain decoding would one step at a time, while each draw equals the guess
    /// at its position and does not end the sequence.
    mutating func drawRun(_ logits: UnsafeMutablePointer<Float>, vocab: Int, spec: SampleSpec) -> Run {
        var run = Run()
        for j in 0 ... spec.draft.count {
            let d = draw(logits + j * vocab, vocab: vocab, spec: spec)
            run.tokens.append(d.token)
            if let lp = d.logprobs { run.logprobs.append(lp) }
            run.ended = d.ended
            run.maskNanos += d.maskNanos
            run.maskedRows += d.masked ? 1 : 0
            if d.ended || ends.contains(d.token) || j == spec.draft.count || d.token != spec.draft[j] { break }
        }
        return run
    }

    /// One draw from `logits` (vocab floats, masked and adjusted in place), updating the state
    /// (random stream, history, grammar). Logprobs come from the raw logits, before the mask,
    /// bias and penalties.
    mutating func draw(_ logits: UnsafeMutablePointer<Float>, vocab: Int, spec: SampleSpec) -> Draw {
        let raw: [Float] = spec.logprobs != nil ? Array(UnsafeBufferPointer(start: logits, count: vocab)) : []  // (vocab) before sampling
        var maskNanos: UInt64 = 0, masked = false
        if let grammar {
            let t0 = DispatchTime.now().uptimeNanoseconds
            masked = grammar.apply(logits, vocab: vocab, ends: ends)
            if masked { maskNanos = DispatchTime.now().uptimeNanoseconds - t0 }
        }
        var token = Sampler.sample(logits, vocab: vocab, params: spec.params, history: history ?? Sampler.History(), rng: &rng)
        if let grammar { token = grammar.withinBudget(token, logits: logits, vocab: vocab, ends: ends) }
        history?.append(token)
        let logprobs = spec.logprobs.map { k in
            raw.withUnsafeBufferPointer { TokenLogprobs.compute($0.baseAddress!, vocab: vocab, token: token, k: k) }
        }
        let ended = grammar?.advance(token) ?? false
        return Draw(token: token, logprobs: logprobs, ended: ended, maskNanos: maskNanos, masked: masked)
    }
}
