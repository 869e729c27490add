import Kernels

/// Limits the scheduler works within (vLLM's names), and how the KV cache stores its rows.
public struct SchedulerConfig: Sendable {
    public var maxNumSeqs: Int
    public var maxNumBatchedTokens: Int
    public var maxModelLen: Int
    public var blockSize: Int
    public var numBlocks: Int
    public var enablePrefixCaching: Bool
    /// Element type of the KV cache the runner allocates (the loader resolves `auto`).
    public var kvCacheDType: KVCacheDType

    public init(maxNumSeqs: Int = 32, maxNumBatchedTokens: Int = 256, maxModelLen: Int = 2048, blockSize: Int = 16,
                numBlocks: Int, enablePrefixCaching: Bool = true, kvCacheDType: KVCacheDType = .f32) {
        self.maxNumSeqs = maxNumSeqs
        self.maxNumBatchedTokens = maxNumBatchedTokens
        self.maxModelLen = maxModelLen
        self.blockSize = blockSize
        self.numBlocks = numBlocks
        self.enablePrefixCaching = enablePrefixCaching
        self.kvCacheDType = kvCacheDType
    }
}
