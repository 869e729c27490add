/// One sequence in the engine: sample `index` (0 ..< n) of the request `requestID`. A request
/// with `n > 1` computes its prompt once as sample 0, then forks samples 1 ..< n off it.
public struct SequenceID: Hashable, Sendable, CustomStringConvertible {
    public let requestID: String
    public let index: Int

    public init(_ requestID: String, _ index: Int = 0) {
        self.requestID = requestID
        self.index = index
    }

    public var description: String { index == 0 ? requestID : "\(requestID)[\(index)]" }
}

/// Why a sequence ended (mapped to OpenAI's `finish_reason` strings by the front end).
public enum FinishReason: String, Sendable, CaseIterable {
    /// An end-of-generation or stop token was sampled.
    case stop
    /// `maxTokens` or the context length was reached.
    case length
    /// Ended from outside: the client left, a stop string matched, shutdown.
    case abort
}
