import Engine

extension FinishReason {
    /// OpenAI's `finish_reason` (vLLM's "abort" for requests ended from outside).
    var openAI: String {
        switch self {
        case .stop: return "stop"
        case .length: return "length"
        case .abort: return "abort"
        }
    }
}
