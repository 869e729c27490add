import Kernels

/// A normalization applied to each row on its own, with a learned scale: RMSNorm, or
/// LayerNorm when it has a shift (`bias`).
struct RowNorm {
    let weight: UnsafePointer<Float>  // (width)
    let bias: UnsafePointer<Float>?   // (width) LayerNorm's shift; nil: RMSNorm
    let width: Int
    let eps: Float

    /// RMSNorm with `name`'s weight.
    static func rms(_ source: WeightSource, _ name: String, width: Int, eps: Float) throws -> RowNorm {
        RowNorm(weight: try source.vector(name, count: width), bias: nil, width: width, eps: eps)
    }

    /// LayerNorm with `name.weight` and `name.bias`.
    static func layer(_ source: WeightSource, _ name: String, width: Int, eps: Float) throws -> RowNorm {
        RowNorm(weight: try source.vector(name + ".weight", count: width), bias: try source.vector(name + ".bias", count: width),
                width: width, eps: eps)
    }

    /// out[r] = norm(x[r]) for the first `rows` rows (`out` may be `x`).
    func apply(_ x: FloatBuffer, into out: FloatBuffer, rows: Int) {
        for r in 0 ..< rows { apply(x.row(r, width: width), out.row(r, width: width)) }
    }

    /// out[i] = norm(x[rows[i]]).
    func apply(_ x: FloatBuffer, rows: [Int], into out: FloatBuffer) {
        for (i, r) in rows.enumerated() { apply(x.row(r, width: width), out.row(i, width: width)) }
    }

    private func apply(_ x: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        if let bias {
            Ops.layerNorm(x, weight: weight, bias: bias, out: out, n: width, eps: eps)
        } else {
            Ops.rmsNorm(x, weight: weight, out: out, n: width, eps: eps)
        }
    }
}
