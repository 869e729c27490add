import Engine
import ModelFormats

/// A checkpoint's generation_config.json as request defaults, as vLLM takes them:
/// temperature, top_p, top_k, min_p and repetition_penalty where given, and its
/// eos_token_id (one or several) as extra end tokens.
enum GenerationDefaults {
    static func read(_ config: [String: Any], vocabularySize: Int) -> (sampling: SamplingParams, endTokenIDs: Set<Int32>) {
        var p = SamplingParams()
        if let t = JSONNumbers.double(config["temperature"]), (0 ... 2).contains(t) { p.temperature = Float(t) }
        if let v = JSONNumbers.double(config["top_p"]), v > 0, v <= 1 { p.topP = Float(v) }
        if let k = JSONNumbers.integer(config["top_k"]), k >= 0 { p.topK = k }
        if let m = JSONNumbers.double(config["min_p"]), (0 ... 1).contains(m) { p.minP = Float(m) }
        if let r = JSONNumbers.double(config["repetition_penalty"]), r > 0 { p.repetitionPenalty = Float(r) }
        let eos = JSONNumbers.integers(config["eos_token_id"]) ?? JSONNumbers.integer(config["eos_token_id"]).map { [$0] } ?? []
        return (p, Set(eos.filter { $0 >= 0 && $0 < vocabularySize }.map(Int32.init)))
    }
}
