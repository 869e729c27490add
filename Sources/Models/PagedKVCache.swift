import Foundation
import Kernels

/// Keys and values in fixed-size blocks (pages), head-major inside a block: per slot of a page
/// (`layout.pageLayers` slots; a layer uses slot `layout.layerSlot[layer]`), K and V are each
/// (numBlocks, numKVHeads, blockSize) segments of `segmentBytes` — one position's headDim
/// elements of one KV head in `dtype` (f32, f16, or q8_0 blocks of 32 with a half scale; see
/// `KVCacheDType`) — so a head's rows in a block are contiguous for attention. Position p of a
/// sequence lives, for a layer, in block blockTables[layout.layerTable[layer]][p / blockSize],
/// row p % blockSize. With the plain layout a block holds every layer (one slot per layer).
/// The cache only stores; which blocks belong to whom is the block manager's business.
/// Memory is mapped zeroed and becomes resident as blocks are first written.
public final class PagedKVCache: @unchecked Sendable {
    public let layout: KVLayout
    public let numBlocks: Int
    public let blockSize: Int
    public let kvWidth: Int
    public let headDim: Int
    public let dtype: KVCacheDType
    /// Bytes of one position's headDim elements of one KV head.
    public let segmentBytes: Int
    /// Bytes of one position's keys (or values) in one layer, all heads.
    public let rowBytes: Int
    /// Bytes of one block's keys (or values) in one slot: (numKVHeads, blockSize) segments.
    public let blockBytes: Int
    /// Per slot: (numBlocks, numKVHeads, blockSize) segments of `segmentBytes`
    public let keys: [UnsafeMutableRawPointer]
    /// Per slot: (numBlocks, numKVHeads, blockSize) segments of `segmentBytes`
    public let values: [UnsafeMutableRawPointer]

    /// A plain cache (every layer in every block) of `dtype` elements, kvWidth / headDim heads
    /// (headDim nil: one head of kvWidth); q8_0 needs every head to cover whole 32-element blocks
    /// (the loader checks `dtype.supports(headDim:)`).
    public convenience init(numLayers: Int, numBlocks: Int, blockSize: Int, kvWidth: Int, headDim: Int? = nil, dtype: KVCacheDType = .f32) {
        self.init(layout: .plain(numLayers: numLayers), numBlocks: numBlocks, blockSize: blockSize, kvWidth: kvWidth, headDim: headDim, dtype: dtype)
    }

    /// A cache of `numBlocks` pages of `layout.pageLayers` layers each.
    public init(layout: KVLayout, numBlocks: Int, blockSize: Int, kvWidth: Int, headDim: Int? = nil, dtype: KVCacheDType = .f32) {
        self.layout = layout
        let slots = layout.pageLayers
        self.numBlocks = numBlocks
        self.blockSize = blockSize
        self.kvWidth = kvWidth
        self.headDim = headDim ?? kvWidth
        self.dtype = dtype
        segmentBytes = dtype.rowBytes(self.headDim)
        rowBytes = kvWidth / self.headDim * segmentBytes
        blockBytes = blockSize * rowBytes
        // One mapping for every slot's K and V (each slot's share 64-byte aligned): a small
        // cache then costs its size rounded up to one 2 MB page, not a page per slot and side.
        let n = (max(1, numBlocks * blockBytes) + 63) / 64 * 64
        mappedBytes = (2 * slots * n + Self.hugePage - 1) / Self.hugePage * Self.hugePage
        let mapping = Self.mapZeroed(mappedBytes)
        base = mapping
        keys = (0 ..< slots).map { mapping + 2 * $0 * n }
        values = (0 ..< slots).map { mapping + (2 * $0 + 1) * n }
    }

    deinit { munmap(base, mappedBytes) }

    private static let hugePage = 2 << 20
    /// The mapping that holds every layer's K and V, and its length (whole 2 MB pages).
    private let base: UnsafeMutableRawPointer
    private let mappedBytes: Int

    /// `n` zero bytes, mapped lazily (pages stay unbacked until written), on 2 MB pages where
    /// the kernel allows: attention streams a head's rows across scattered blocks, and 4 KB
    /// pages cost a TLB miss per block.
    private static func mapZeroed(_ n: Int) -> UnsafeMutableRawPointer {
        guard let p = mmap(nil, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
            // Out of address space: the same trap an ordinary allocation makes, with the size said.
            preconditionFailure("cannot map \(n) bytes for the KV cache")
        }
        _ = madvise(p, n, MADV_HUGEPAGE)
        return p
    }

    /// Bytes one block takes across its `numLayers` layers (K and V): every layer in the plain
    /// layout, `pageLayers` in a windowed one.
    public static func bytesPerBlock(numLayers: Int, blockSize: Int, kvWidth: Int, dtype: KVCacheDType = .f32) -> Int {
        numLayers * 2 * blockSize * dtype.rowBytes(kvWidth)
    }

    /// How many blocks fit in `bytes` of KV memory (the pool never exceeds its budget).
    public static func blocks(forBudget bytes: Int, numLayers: Int, blockSize: Int, kvWidth: Int, dtype: KVCacheDType = .f32) -> Int {
        bytes / bytesPerBlock(numLayers: numLayers, blockSize: blockSize, kvWidth: kvWidth, dtype: dtype)
    }

    public var totalBytes: Int {
        numBlocks * Self.bytesPerBlock(numLayers: layout.pageLayers, blockSize: blockSize, kvWidth: kvWidth, dtype: dtype)
    }

    /// Copies every slot's keys and values of block `src` into block `dst` (copy-on-write).
    public func copyBlock(_ src: Int32, to dst: Int32) {
        let n = blockBytes
        for l in 0 ..< layout.pageLayers {
            (keys[l] + Int(dst) * n).copyMemory(from: keys[l] + Int(src) * n, byteCount: n)
            (values[l] + Int(dst) * n).copyMemory(from: values[l] + Int(src) * n, byteCount: n)
        }
    }

    /// Stores one position's key and value rows, (kvWidth) floats each, at row `row` of
    /// block `block` in `layer`.
    @inline(__always) public func write(layer: Int, block: Int, row: Int, key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        let (k, v) = (keys(layer), values(layer))
        for h in 0 ..< kvWidth / headDim {
            let at = segmentOffset(block: block, head: h, row: row)
            dtype.store(key + h * headDim, to: k + at, count: headDim)
            dtype.store(value + h * headDim, to: v + at, count: headDim)
        }
    }

    /// The keys of `layer`: its slot's (numBlocks, numKVHeads, blockSize) segments.
    @inline(__always) public func keys(_ layer: Int) -> UnsafeMutableRawPointer { keys[layout.layerSlot[layer]] }
    /// The values of `layer`: its slot's (numBlocks, numKVHeads, blockSize) segments.
    @inline(__always) public func values(_ layer: Int) -> UnsafeMutableRawPointer { values[layout.layerSlot[layer]] }

    /// Byte offset in a layer's keys (or values) of `head`'s segment at row `row` of `block`.
    @inline(__always) public func segmentOffset(block: Int, head: Int, row: Int) -> Int {
        block * blockBytes + (head * blockSize + row) * segmentBytes
    }
}
