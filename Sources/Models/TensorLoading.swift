import Kernels
import ModelFormats

/// Turning file tensors into the views the kernels take, with shape checks.
extension GGUFFile {
    /// A 2-D weight of shape (cols, rows) in GGUF order, i.e. `rows` rows of `cols` elements.
    func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
        do {
            let t = try tensor(name)
            guard t.shape.count == 2, t.shape[0] == cols, t.shape[1] == rows else {
                throw ModelFormatError.unexpectedShape(tensor: name, expected: [cols, rows], found: t.shape)
            }
            return WeightMatrix(type: Int32(t.type.rawValue), rows: rows, cols: cols, rowBytes: t.rowBytes, data: t.data)
        } catch let e as ModelFormatError { throw ModelError.format(e) }
    }

    /// A 1-D F32 vector of `n` elements (norm weights, biases).
    func vector(_ name: String, count n: Int) throws -> UnsafePointer<Float> {
        do {
            let t = try tensor(name)
            guard t.elementCount == n else { throw ModelFormatError.unexpectedShape(tensor: name, expected: [n], found: t.shape) }
            guard t.type == .f32 else { throw ModelError.unsupportedTensorType(tensor: name, type: t.type.name) }
            return t.data.assumingMemoryBound(to: Float.self)
        } catch let e as ModelFormatError { throw ModelError.format(e) }
    }

    func hasTensor(_ name: String) -> Bool { tensors[name] != nil }
}
