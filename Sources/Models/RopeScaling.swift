import Foundation
import JSON
import ModelFormats

/// Rotary-embedding scalings beyond a plain base: linear (positions divided by a factor),
/// Llama 3's frequency-dependent scaling, and LongRoPE (Phi-3 / Phi-3.5 / Phi-4-mini), each
/// turned into `ModelConfig`'s `ropeLinearScale`, `ropeFreqFactors` and `ropeAttentionFactor`.
///
/// LongRoPE carries two sets of per-frequency divisors, "short" for contexts up to the
/// original (pre-extension) context and "long" beyond it. Hugging Face switches by the length
/// of the sequence at hand (re-rotating nothing already cached); llama.cpp picks once, by its
/// context size: long when `n_ctx_per_seq > original_context_length`. Tern picks once too, the
/// same way, with the context the model is configured for (`ModelConfig.contextLength`, the
/// trained 128k for Phi-3.5/4-mini, which is also `max_model_len`'s default): the long
/// factors — what llama-server uses at its default, trained-length context. The attention
/// factor (√(1 + ln(context / original) / ln original) unless given) applies with either set.
enum RopeScaling {
    /// Llama 3's scaling as divisors of each inverse frequency (as GGUF's `rope_freqs` holds
    /// them): 1 for short wavelengths, `factor` for long ones, a smooth blend in between.
    static func llama3Factors(ropeDim: Int, base: Double, factor: Double, lowFreqFactor: Double, highFreqFactor: Double,
                              originalContext: Int) -> [Float] {
        let lowWavelength = Double(originalContext) / lowFreqFactor, highWavelength = Double(originalContext) / highFreqFactor
        return (0 ..< ropeDim / 2).map { i in
            let wavelength = 2 * Double.pi / pow(base, -2 * Double(i) / Double(ropeDim))
            if wavelength < highWavelength { return 1 }
            if wavelength > lowWavelength { return Float(factor) }
            let smooth = (Double(originalContext) / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor)
            return Float(1 / ((1 - smooth) / factor + smooth))
        }
    }

    /// LongRoPE's divisors for a model serving `context` positions (see the type's note).
    static func longRoPEFactors(long: [Float], short: [Float], context: Int, originalContext: Int) -> [Float] {
        context > originalContext ? long : short
    }

    /// LongRoPE's default attention factor for a context extended `scale` times past `originalContext`.
    static func longRoPEAttentionFactor(scale: Double, originalContext: Int) -> Float {
        scale <= 1 ? 1 : Float((1 + log(scale) / log(Double(originalContext))).squareRoot())
    }

    /// A config.json's `rope_scaling` (null, "default", "linear", "llama3", "longrope"/"su")
    /// applied to `c`; `config` is the whole config.json (LongRoPE reads
    /// `original_max_position_embeddings` there).
    static func apply(_ scaling: JSONField, config: JSONField, to c: inout ModelConfig) throws {
        guard !scaling.isNull else { return }
        // No type: plain RoPE (rope_parameters with only a theta), unless it names a factor.
        let type = scaling["rope_type"].value?.stringValue ?? scaling["type"].value?.stringValue
            ?? (scaling["factor"].isNull ? "default" : "?")
        switch type {
        case "default":
            return
        case "linear":
            let factor = try scaling["factor"].double()
            guard factor > 0 else { throw ModelError.badHyperparameter("rope_scaling factor \(factor)") }
            c.ropeLinearScale = factor
        case "llama3":
            c.ropeFreqFactors = llama3Factors(
                ropeDim: c.ropeDimensionCount, base: c.ropeBase, factor: try scaling["factor"].double(),
                lowFreqFactor: try scaling["low_freq_factor"].double(), highFreqFactor: try scaling["high_freq_factor"].double(),
                originalContext: try scaling["original_max_position_embeddings"].int())
        case "longrope", "su":
            let declared = try config["original_max_position_embeddings"].optionalInt()
            let original = try declared ?? scaling["original_max_position_embeddings"].optionalInt() ?? c.contextLength
            let scale = declared != nil ? Double(c.contextLength) / Double(original) : try scaling["factor"].double(default: 1)
            func factors(_ key: String) throws -> [Float] { try scaling[key].array().map { Float(try $0.double()) } }
            c.ropeFreqFactors = longRoPEFactors(long: try factors("long_factor"), short: try factors("short_factor"),
                                                context: c.contextLength, originalContext: original)
            let given = scaling["attention_factor"]
            c.ropeAttentionFactor = given.isNull ? longRoPEAttentionFactor(scale: scale, originalContext: original) : Float(try given.double())
        default:
            throw ModelError.badHyperparameter("rope_scaling '\(type)' (Tern supports linear, llama3 and longrope)")
        }
    }

    /// Phi-3's GGUF hyperparameters: NeoX rotation, and LongRoPE's factor tensors
    /// (`rope_factors_long` / `rope_factors_short`, when the file has them) chosen by context.
    @Sendable static func phi3(_ file: GGUFFile) throws -> ModelConfig {
        var c = try ModelConfig.fromGGUF(file, ropeNeox: true)
        let original = file.metadata["phi3.rope.scaling.original_context_length"]?.int ?? c.contextLength
        if file.hasTensor("rope_factors_long.weight") || file.hasTensor("rope_factors_short.weight") {
            func factors(_ name: String) throws -> [Float] {
                let n = c.ropeDimensionCount / 2
                return Array(UnsafeBufferPointer(start: try file.vector(name, count: n), count: n))
            }
            c.ropeFreqFactors = longRoPEFactors(long: try factors("rope_factors_long.weight"), short: try factors("rope_factors_short.weight"),
                                                context: c.contextLength, originalContext: original)
        }
        try c.validate()
        return c
    }
}
