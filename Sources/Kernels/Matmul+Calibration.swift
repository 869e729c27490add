import Dispatch

/// Measuring where GEMM overtakes GEMV on this CPU (`tern crossover`, and the loader).
extension Matmul {
    /// The crossover of each weight type among `weights` (see `calibrate`).
    public static func calibratePerType(pool: ComputePool, weights: [WeightMatrix]) -> [Int32: Int] {
        var out: [Int32: Int] = [:]
        for type in Set(weights.map(\.type)) {
            out[type] = calibrate(pool: pool, weights: weights.filter { $0.type == type }, limit: .max)
        }
        return out
    }

    /// Places the crossover by timing `weights` (e.g. one transformer block) through both
    /// paths at growing batch sizes: the smallest size where GEMM is faster, or `limit` when
    /// GEMV is faster at every size tried.
    public static func calibrate(pool: ComputePool, weights: [WeightMatrix],
                                 sizes: [Int] = [4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256],
                                 limit: Int = 256) -> Int {
        let cols = weights.map(\.cols).max() ?? 1, rows = weights.map(\.rows).max() ?? 1
        let m = sizes.max() ?? 1
        let x = FloatBuffer(count: m * cols)  // (m, cols)
        let y = FloatBuffer(count: m * rows)  // (m, rows)
        for i in 0 ..< x.count { x[i] = Float((i * 7919) % 1000) / 1000 - 0.5 }
        // One runtime for both paths, its packed copies made once, before any timing.
        let mm = Matmul(pool: pool)
        mm.prepare(weights)
        func time(_ path: MatmulPath, _ m: Int) -> UInt64 {
            mm.path = path
            var best = UInt64.max
            for _ in 0 ..< 3 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                for w in weights { mm.apply(w, x: x.pointer, m: m, y: y.pointer) }
                best = min(best, DispatchTime.now().uptimeNanoseconds - t0)
            }
            return best
        }
        for m in sizes where time(.gemm, m) < time(.gemv, m) { return m }
        return limit
    }
}
