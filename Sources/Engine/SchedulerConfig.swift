import Kernels
import Models

/// Limits the scheduler works within (vLLM's names), and how the KV cache stores its rows.
public struct SchedulerConfig: Sendable {
    public var maxNumSeqs: Int
    public var maxNumBatchedTokens: Int
    public var maxModelLen: Int
    public var blockSize: Int
    /// Blocks in the pool: pages of `KVLayout.pageLayers` layers (every layer without sliding windows).
    public var numBlocks: Int
    public var enablePrefixCaching: Bool
    /// Element type of the KV cache the runner allocates (the loader resolves `auto`).
    public var kvCacheDType: KVCacheDType
    /// The block tables each sequence holds, by window (the model's `KVLayout.groups`; the
    /// engine sets them from its model): one full-attention table without sliding windows.
    public var kvGroups: [KVLayout.Group]
    /// Speculative decoding (nil: off).
    public var speculative: SpeculativeConfig?
    /// False for encoders, whose attention looks both ways: a prompt is computed in one step,
    /// whole (never chunked, never from the prefix cache), or waits.
    public var chunkedPrefill = true

    public init(maxNumSeqs: Int = 32, maxNumBatchedTokens: Int = 256, maxModelLen: Int = 2048, blockSize: Int = 16,
                numBlocks: Int, enablePrefixCaching: Bool = true, kvCacheDType: KVCacheDType = .f32,
                kvGroups: [KVLayout.Group] = [KVLayout.Group(window: nil, tables: 1)], speculative: SpeculativeConfig? = nil) {
        self.maxNumSeqs = maxNumSeqs
        self.maxNumBatchedTokens = maxNumBatchedTokens
        self.maxModelLen = maxModelLen
        self.blockSize = blockSize
        self.numBlocks = numBlocks
        self.enablePrefixCaching = enablePrefixCaching
        self.kvCacheDType = kvCacheDType
        self.kvGroups = kvGroups
        self.speculative = speculative
    }

    /// The most blocks a sequence of `tokens` positions holds at once: per full-attention table
    /// one per `blockSize` positions; per window table no more than its window and the largest
    /// chunk that attends from its first position (`windowBlocks`).
    public func blocksNeeded(tokens: Int) -> Int {
        let blocks = (tokens + blockSize - 1) / blockSize
        return kvGroups.reduce(0) { sum, g in sum + g.tables * min(blocks, g.window.map(windowBlocks) ?? blocks) }
    }

    /// Blocks a window table holds at most: a step computing n ≤ maxNumBatchedTokens tokens from
    /// position c needs positions c + 1 - window ..< c + n, which span at most this many blocks.
    public func windowBlocks(_ window: Int) -> Int {
        (window - 1 + maxNumBatchedTokens + blockSize - 1) / blockSize + 1
    }

    /// The longest sequence (at most `limit` positions) whose blocks fit in the pool.
    public func longestFitting(limit: Int) -> Int {
        var (lo, hi) = (0, limit)  // blocksNeeded(lo) fits; find the largest that does
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if blocksNeeded(tokens: mid) <= numBlocks { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }
}
