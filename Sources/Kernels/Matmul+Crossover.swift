import CKernels

/// Where GEMM takes over from GEMV: a fixed function of the weight type and the kernels this
/// CPU runs, never a timing taken at start-up (a server started on a busy machine would pick
/// another path, and its answers would differ in the last bits). `tern crossover` measures
/// the figures below on a model's weights.
extension Matmul {
    /// Batch rows from which each quantized type takes GEMM (Int.max: never); types not listed
    /// take `gemmMinRows`.
    public static func crossovers() -> [Int32: Int] {
        var table: [Int32: Int] = [:]
        for (type, rows) in avx2Crossovers { table[Int32(type)] = tern_packs(Int32(type)) != 0 ? .max : rows }
        return table
    }

    /// Packed (AVX-512 VNNI) types (Q4_0, Q4_1, Q5_0, Q8_0, Q4_K, Q5_K, Q6_K, IQ4_XS) never take GEMM: their kernel keeps a 16-row weight group in
    /// cache across all activation rows and on AMD Zen 4 beats dequantize + sgemm at every batch
    /// size (Llama-3.2-1B Q4_K_M pp512: 225 tok/s against 35-60 with GEMM from 32 rows); it is
    /// also exact per row, so a row's result never depends on its batch. The AVX2 integer dot
    /// products (TERN_NO_AVX512=1, or CPUs without VNNI) cross over at these batch rows, measured
    /// with `tern crossover` on Zen 4: Q5_0, Q8_0 of Gemma 3 270M (8, 48), Q4_1 of SmolLM2 (GEMV
    /// faster up to 64 rows), IQ4_XS of the Llama-3.2-1B shape (GEMV faster at every size: its
    /// 4-row AVX2 kernel); Q4_0, Q5_1, Q5_K, Q2_K, Q3_K and IQ4_NL take their nearest relative's
    /// figure. Q4_K and Q6_K never take GEMM: their 2 × 4 register tiles (kquant_avx2.c) beat
    /// dequantize + sgemm at every batch size (Llama-3.2-1B shape Q4_K_M pp512: see README).
    static let avx2Crossovers: [(Int32, Int)] = [
        (TERN_Q4_0, 32), (TERN_Q4_1, 64), (TERN_Q5_0, 8), (TERN_Q5_1, 8), (TERN_Q8_0, 48),
        (TERN_Q2_K, 32), (TERN_Q3_K, 32), (TERN_Q4_K, Int.max), (TERN_Q5_K, 32), (TERN_Q6_K, Int.max),
        (TERN_IQ4_NL, Int.max), (TERN_IQ4_XS, Int.max),
    ].map { (Int32($0.0), $0.1) }
}
