import Kernels
import ModelFormats

/// Where a model's weights come from — a GGUF file, or a safetensors checkpoint whose
/// tensors are presented under GGUF's names (`blk.N.attn_q.weight`, …) — and the views the
/// kernels take, with shape checks. A source keeps its mapping (and any converted copies)
/// alive for as long as the model holds it.
public protocol WeightSource: AnyObject, Sendable {
    /// A 2-D weight of `rows` output features, each a row of `cols` input features.
    func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix
    /// A 1-D vector of `n` F32 values (norm weights, biases).
    func vector(_ name: String, count n: Int) throws -> UnsafePointer<Float>
    func hasTensor(_ name: String) -> Bool
}

extension GGUFFile: WeightSource {
    /// GGUF stores a matrix with shape (cols, rows).
    public func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
        do {
            let t = try tensor(name)
            guard t.shape.count == 2, t.shape[0] == cols, t.shape[1] == rows else {
                throw ModelFormatError.unexpectedShape(tensor: name, expected: [cols, rows], found: t.shape)
            }
            return WeightMatrix(type: Int32(t.type.rawValue), rows: rows, cols: cols, rowBytes: t.rowBytes, data: t.data)
        } catch let e as ModelFormatError { throw ModelError.format(e) }
    }

    public func vector(_ name: String, count n: Int) throws -> UnsafePointer<Float> {
        do {
            let t = try tensor(name)
            guard t.elementCount == n else { throw ModelFormatError.unexpectedShape(tensor: name, expected: [n], found: t.shape) }
            guard t.type == .f32 else { throw ModelError.unsupportedTensorType(tensor: name, type: t.type.name) }
            return t.data.assumingMemoryBound(to: Float.self)
        } catch let e as ModelFormatError { throw ModelError.format(e) }
    }

    public func hasTensor(_ name: String) -> Bool { tensors[name] != nil }
}

extension WeightSource {
    /// Block `prefix`'s (`blk.N.`) query, key, value and output projections:
    /// (heads * hd, width), (kvWidth, width) ×2, (width, heads * hd). A fused `attn_qkv`
    /// (Phi-3: query, key and value rows stacked in that order) is presented as three views.
    func attentionProjections(prefix p: String, config c: ModelConfig) throws
        -> (wq: WeightMatrix, wk: WeightMatrix, wv: WeightMatrix, wo: WeightMatrix) {
        let w = c.embeddingLength, q = c.headCount * c.keyLength, kv = c.kvWidth
        let wo = try matrix(p + "attn_output.weight", rows: w, cols: q)
        if !hasTensor(p + "attn_q.weight") && hasTensor(p + "attn_qkv.weight") {
            let fused = try matrix(p + "attn_qkv.weight", rows: q + 2 * kv, cols: w)  // (q + 2 kv, width)
            return (fused.rows(0 ..< q), fused.rows(q ..< q + kv), fused.rows(q + kv ..< q + 2 * kv), wo)
        }
        return (try matrix(p + "attn_q.weight", rows: q, cols: w), try matrix(p + "attn_k.weight", rows: kv, cols: w),
                try matrix(p + "attn_v.weight", rows: kv, cols: w), wo)
    }
}

extension WeightMatrix {
    /// Rows `range` of this matrix, in place (a row of any GGML type is whole blocks).
    func rows(_ range: Range<Int>) -> WeightMatrix {
        WeightMatrix(type: type, rows: range.count, cols: cols, rowBytes: rowBytes, data: data + range.lowerBound * rowBytes)
    }
}

extension GGUFFile {
    /// Every 2-D tensor whose name starts with `prefix`, as the kernels see it (e.g. the
    /// first blocks' matrices, to measure the GEMV/GEMM crossovers on).
    public func matrices(prefix: String) -> [WeightMatrix] {
        tensorNames.compactMap { name in
            guard name.hasPrefix(prefix), let t = tensors[name], t.shape.count == 2 else { return nil }
            return WeightMatrix(type: Int32(t.type.rawValue), rows: t.rowCount, cols: t.rowLength, rowBytes: t.rowBytes, data: t.data)
        }
    }
}
