import Kernels
import ModelFormats

/// A safetensors checkpoint seen through GGUF tensor names (mapped by the architecture's
/// `HFTensorNames` function). F32, F16 and BF16 matrices are used in place from the mapping; norm weights and
/// biases in F16/BF16, vectors the GGUF form offsets (Gemma's norm weights, 1 + w), and matrices
/// stored transposed (GPT-2's Conv1D), are converted once into F32 copies this source owns.
public final class SafetensorsWeights: WeightSource, @unchecked Sendable {
    public let checkpoint: SafetensorsCheckpoint
    /// GGUF tensor name → where it lives in the checkpoint.
    let names: @Sendable (String) -> HFTensorNames.Location?
    private var owned: [UnsafeMutablePointer<Float>] = []  // converted copies, freed with the source

    init(checkpoint: SafetensorsCheckpoint, names: @escaping @Sendable (String) -> HFTensorNames.Location?) {
        self.checkpoint = checkpoint
        self.names = names
    }

    deinit { for p in owned { p.deallocate() } }

    public func hasTensor(_ name: String) -> Bool { (try? locate(name)) != nil }

    public func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
        let (t, location) = try locate(name)
        let transposed = location.transposed
        let expected = transposed ? [cols, rows] : [rows, cols]
        guard t.shape == expected else {
            throw ModelError.format(.unexpectedShape(tensor: t.name, expected: expected, found: t.shape))
        }
        if transposed {
            // (cols, rows) on disk → (rows, cols) F32 rows, as the kernels read them.
            let out = try converted(t)
            let copy = allocate(rows * cols)
            for r in 0 ..< rows { for c in 0 ..< cols { copy[r * cols + c] = out[c * rows + r] } }
            return WeightMatrix(type: Int32(GGMLType.f32.rawValue), rows: rows, cols: cols, rowBytes: cols * 4, data: copy)
        }
        let type = try Self.ggmlType(t)
        return WeightMatrix(type: Int32(type.rawValue), rows: rows, cols: cols, rowBytes: cols * type.rowBytes(1), data: t.data)
    }

    public func vector(_ name: String, count n: Int) throws -> UnsafePointer<Float> {
        let (t, location) = try locate(name)
        guard t.elementCount == n, t.shape.count == 1 else {
            throw ModelError.format(.unexpectedShape(tensor: t.name, expected: [n], found: t.shape))
        }
        if t.dtype == "F32" && location.offset == 0 { return t.data.assumingMemoryBound(to: Float.self) }
        let values = try converted(t)  // (n)
        for i in 0 ..< n { values[i] += location.offset }
        return UnsafePointer(values)
    }

    /// The checkpoint tensor behind a GGUF name.
    private func locate(_ name: String) throws -> (SafetensorsFile.Tensor, HFTensorNames.Location) {
        guard let location = names(name), let hf = location.candidates.first(where: checkpoint.hasTensor) else {
            throw ModelError.format(.missingTensor(names(name)?.candidates.first ?? name))
        }
        return (try checkpoint.tensor(hf), location)
    }

    static func ggmlType(_ t: SafetensorsFile.Tensor) throws -> GGMLType {
        switch t.dtype {
        case "F32": return .f32
        case "F16": return .f16
        case "BF16": return .bf16
        default: throw ModelError.format(.unsupportedDType(tensor: t.name, dtype: t.dtype))
        }
    }

    /// All of `t` as F32, in a copy this source owns.
    private func converted(_ t: SafetensorsFile.Tensor) throws -> UnsafeMutablePointer<Float> {
        let type = try Self.ggmlType(t)
        let out = allocate(t.elementCount)
        let matrix = WeightMatrix(type: Int32(type.rawValue), rows: 1, cols: t.elementCount, rowBytes: t.byteCount, data: t.data)
        matrix.dequantizeRow(0, into: out)
        return out
    }

    private func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        owned.append(p)
        return p
    }
}
