/// How to pick each next token of one request. Defaults are OpenAI's (temperature 1,
/// top_p 1) with every filter off.
public struct SamplingParams: Sendable, Equatable {
    /// 0 means greedy (argmax).
    public var temperature: Float = 1
    /// Keep only the k most likely tokens; 0 or less disables.
    public var topK: Int = 0
    /// Keep the smallest set of tokens whose probability mass reaches topP; 1 disables.
    public var topP: Float = 1
    /// Drop tokens whose probability is below minP times the most likely one's; 0 disables.
    public var minP: Float = 0
    /// Seed of the request's own random stream; nil draws one at random.
    public var seed: UInt64? = nil
    /// OpenAI's presence/frequency penalties over generated tokens, subtracted from logits.
    public var presencePenalty: Float = 0
    public var frequencyPenalty: Float = 0
    /// CTRL-style penalty over prompt and generated tokens (> 1 discourages repeats); 1 disables.
    public var repetitionPenalty: Float = 1
    /// Added to the logits of the given token ids before anything else.
    public var logitBias: [Int32: Float] = [:]

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1, minP: Float = 0, seed: UInt64? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.seed = seed
    }

    public static let greedy = SamplingParams(temperature: 0)

    public var isGreedy: Bool { temperature <= 0 || topK == 1 }
}
