import Foundation
import Kernels

/// Keys and values of every layer in fixed-size blocks. Per layer, K and V are each stored
/// as (numBlocks, blockSize) rows of `rowBytes`: one position's kvWidth = numKVHeads * headDim
/// elements in `dtype` (f32, f16, or q8_0 blocks of 32 with a half scale; see `KVCacheDType`).
/// Position p of a sequence lives at slot blockTable[p / blockSize] * blockSize + p % blockSize.
/// The cache only stores; which blocks belong to whom is the block manager's business.
/// Memory is mapped zeroed and becomes resident as blocks are first written.
public final class PagedKVCache: @unchecked Sendable {
    public let numLayers: Int
    public let numBlocks: Int
    public let blockSize: Int
    public let kvWidth: Int
    public let dtype: KVCacheDType
    /// Bytes of one position's keys (or values) in one layer.
    public let rowBytes: Int
    /// Per layer: (numBlocks, blockSize) rows of `rowBytes`
    public let keys: [UnsafeMutableRawPointer]
    /// Per layer: (numBlocks, blockSize) rows of `rowBytes`
    public let values: [UnsafeMutableRawPointer]

    /// A cache of `dtype` elements; q8_0 needs every head to cover whole 32-element blocks
    /// (the loader checks `dtype.supports(headDim:)`).
    public init(numLayers: Int, numBlocks: Int, blockSize: Int, kvWidth: Int, dtype: KVCacheDType = .f32) {
        self.numLayers = numLayers
        self.numBlocks = numBlocks
        self.blockSize = blockSize
        self.kvWidth = kvWidth
        self.dtype = dtype
        rowBytes = dtype.rowBytes(kvWidth)
        let n = max(1, numBlocks * blockSize * rowBytes)
        keys = (0 ..< numLayers).map { _ in Self.zeroedBytes(n) }
        values = (0 ..< numLayers).map { _ in Self.zeroedBytes(n) }
    }

    deinit {
        for p in keys + values { free(p) }
    }

    /// `n` zero bytes from calloc (fresh pages stay unbacked until written).
    private static func zeroedBytes(_ n: Int) -> UnsafeMutableRawPointer {
        if let p = calloc(n, 1) { return p }
        // Out of memory: the same trap an ordinary allocation makes, with the size said.
        preconditionFailure("cannot allocate \(n) bytes for the KV cache")
    }

    /// Bytes one block takes across all layers (K and V).
    public static func bytesPerBlock(numLayers: Int, blockSize: Int, kvWidth: Int, dtype: KVCacheDType = .f32) -> Int {
        numLayers * 2 * blockSize * dtype.rowBytes(kvWidth)
    }

    /// How many blocks fit in `bytes` of KV memory (the pool never exceeds its budget).
    public static func blocks(forBudget bytes: Int, numLayers: Int, blockSize: Int, kvWidth: Int, dtype: KVCacheDType = .f32) -> Int {
        bytes / bytesPerBlock(numLayers: numLayers, blockSize: blockSize, kvWidth: kvWidth, dtype: dtype)
    }

    public var totalBytes: Int {
        numBlocks * Self.bytesPerBlock(numLayers: numLayers, blockSize: blockSize, kvWidth: kvWidth, dtype: dtype)
    }

    /// Copies every layer's keys and values of block `src` into block `dst` (copy-on-write).
    public func copyBlock(_ src: Int32, to dst: Int32) {
        let n = blockSize * rowBytes
        for l in 0 ..< numLayers {
            (keys[l] + Int(dst) * n).copyMemory(from: keys[l] + Int(src) * n, byteCount: n)
            (values[l] + Int(dst) * n).copyMemory(from: values[l] + Int(src) * n, byteCount: n)
        }
    }

    /// Stores one position's key and value rows, (kvWidth) floats each, at `slot` of `layer`.
    @inline(__always) public func write(layer: Int, slot: Int, key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        dtype.store(key, to: keys[layer] + slot * rowBytes, count: kvWidth)
        dtype.store(value, to: values[layer] + slot * rowBytes, count: kvWidth)
    }

    @inline(__always) public func slot(position p: Int, blockTable: [Int32]) -> Int {
        Int(blockTable[p / blockSize]) * blockSize + p % blockSize
    }
}
