import Kernels

/// Keys and values of every layer in fixed-size blocks. Per layer, K and V are each stored
/// as (numBlocks, blockSize, kvWidth) floats, kvWidth = numKVHeads * headDim. Position p of
/// a sequence lives at slot blockTable[p / blockSize] * blockSize + p % blockSize.
/// The cache only stores; which blocks belong to whom is the block manager's business.
public final class PagedKVCache: @unchecked Sendable {
    public let numLayers: Int
    public let numBlocks: Int
    public let blockSize: Int
    public let kvWidth: Int
    /// Per layer: (numBlocks, blockSize, kvWidth)
    public let keys: [FloatBuffer]
    /// Per layer: (numBlocks, blockSize, kvWidth)
    public let values: [FloatBuffer]

    public init(numLayers: Int, numBlocks: Int, blockSize: Int, kvWidth: Int) {
        self.numLayers = numLayers
        self.numBlocks = numBlocks
        self.blockSize = blockSize
        self.kvWidth = kvWidth
        let n = numBlocks * blockSize * kvWidth
        keys = (0 ..< numLayers).map { _ in FloatBuffer(count: n) }
        values = (0 ..< numLayers).map { _ in FloatBuffer(count: n) }
    }

    /// Bytes one block takes across all layers (K and V).
    public static func bytesPerBlock(numLayers: Int, blockSize: Int, kvWidth: Int) -> Int {
        numLayers * 2 * blockSize * kvWidth * MemoryLayout<Float>.size
    }

    /// How many blocks fit in `bytes` of KV memory (the pool never exceeds its budget).
    public static func blocks(forBudget bytes: Int, numLayers: Int, blockSize: Int, kvWidth: Int) -> Int {
        bytes / bytesPerBlock(numLayers: numLayers, blockSize: blockSize, kvWidth: kvWidth)
    }

    public var totalBytes: Int { numBlocks * Self.bytesPerBlock(numLayers: numLayers, blockSize: blockSize, kvWidth: kvWidth) }

    /// Copies every layer's keys and values of block `src` into block `dst` (copy-on-write).
    public func copyBlock(_ src: Int32, to dst: Int32) {
        let n = blockSize * kvWidth
        for l in 0 ..< numLayers {
            (keys[l].pointer + Int(dst) * n).update(from: keys[l].pointer + Int(src) * n, count: n)
            (values[l].pointer + Int(dst) * n).update(from: values[l].pointer + Int(src) * n, count: n)
        }
    }

    @inline(__always) public func slot(position p: Int, blockTable: [Int32]) -> Int {
        Int(blockTable[p / blockSize]) * blockSize + p % blockSize
    }
}
