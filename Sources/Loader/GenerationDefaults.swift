import Engine
import JSON

/// A checkpoint's generation_config.json as request defaults, as vLLM takes them:
/// temperature, top_p, top_k, min_p and repetition_penalty where given, and its
/// eos_token_id (one or several) as extra end tokens.
enum GenerationDefaults {
    static func read(_ config: JSON, vocabularySize: Int) -> (sampling: SamplingParams, endTokenIDs: Set<Int32>) {
        var p = SamplingParams()
        if let t = config["temperature"]?.doubleValue, (0 ... 2).contains(t) { p.temperature = Float(t) }
        if let v = config["top_p"]?.doubleValue, v > 0, v <= 1 { p.topP = Float(v) }
        if let k = config["top_k"]?.intValue, k >= 0 { p.topK = k }
        if let m = config["min_p"]?.doubleValue, (0 ... 1).contains(m) { p.minP = Float(m) }
        if let r = config["repetition_penalty"]?.doubleValue, r > 0 { p.repetitionPenalty = Float(r) }
        let eos = config["eos_token_id"]?.intArrayValue ?? config["eos_token_id"]?.intValue.map { [$0] } ?? []
        return (p, Set(eos.filter { $0 >= 0 && $0 < vocabularySize }.map(Int32.init)))
    }

    /// What a log should say about defaults taken from the checkpoint.
    static func note(_ p: SamplingParams) -> String {
        "sampling defaults from generation_config.json: temperature \(p.temperature), top_p \(p.topP), top_k \(p.topK)"
    }
}
