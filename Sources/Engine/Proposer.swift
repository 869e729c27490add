import Models

/// Guesses the next tokens of decoding sequences, for the runner to verify in the next step.
/// The runner shows it every forward batch (a draft model keeps its own KV cache in step with
/// the target's, in the same blocks) and asks it for guesses after sampling.
protocol Proposer: AnyObject {
    /// The step's batch ran on the target, after these block copies: keep any cache in step.
    func observe(_ batch: ForwardBatch, copies: [(src: Int32, dst: Int32)]) throws
    /// Guesses for each sequence, at most `count` tokens each (fewer or none when unsure).
    func propose(_ requests: [ProposalRequest]) throws -> [SequenceID: [Int32]]
}

/// One sequence asking for guesses: its tokens so far (the last one sampled this step, not yet
/// computed), the block tables the scheduler holds for it (covering `count` positions past the
/// last token for a proposer that writes K/V there), and how many guesses it can use.
struct ProposalRequest {
    let id: SequenceID
    let tokens: [Int32]
    let blockTables: [[Int32]]
    let count: Int
}
