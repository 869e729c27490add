import Kernels

/// What the engine needs of a model: its shape, a paged KV cache of the right width, and a
/// batched forward pass that returns logits only for the rows that asked for them. (A model
/// computes with the `Matmul` it was made with, and prepares its weights there at load.)
public protocol LanguageModel: AnyObject, Sendable {
    var config: ModelConfig { get }
    /// Per layer, the positions its attention sees (nil: all); default: `config.slidingWindow` for every layer.
    var layerWindows: [Int?] { get }
    /// Logits (batch.logitRows.count, vocabularySize), in the order of `batch.logitRows`.
    func forward(_ batch: ForwardBatch, cache: PagedKVCache) throws -> FloatBuffer
    /// Logits as `forward` gives them, and the final hidden states (after the output norm) of
    /// `batch.hiddenRows`: (batch.hiddenRows.count, embeddingLength), in that order.
    func forwardWithHidden(_ batch: ForwardBatch, cache: PagedKVCache) throws -> (logits: FloatBuffer, hidden: FloatBuffer)
    /// How this model's embeddings pool its hidden states (nil: it cannot embed).
    var pooling: Pooling? { get }
    /// Whether it predicts tokens (false: an encoder, which only embeds).
    var generates: Bool { get }
}

extension LanguageModel {
    public var layerWindows: [Int?] { Array(repeating: config.slidingWindow, count: config.blockCount) }

    public func forwardWithHidden(_ batch: ForwardBatch, cache: PagedKVCache) throws -> (logits: FloatBuffer, hidden: FloatBuffer) {
        throw ModelError.cannotEmbed(config.architecture)
    }

    public var pooling: Pooling? { nil }
    public var generates: Bool { true }

    /// The cache layout the engine uses: sliding-window layers in tables of their own, so their
    /// blocks can be freed once the window has passed them.
    public var kvLayout: KVLayout { KVLayout(layerWindows: layerWindows) }

    /// A KV cache for this model of `numBlocks` blocks of `blockSize` positions, stored as `dtype`,
    /// in `layout` (default: plain, one block table for every layer).
    public func makeCache(numBlocks: Int, blockSize: Int, dtype: KVCacheDType = .f32, layout: KVLayout? = nil) -> PagedKVCache {
        PagedKVCache(layout: layout ?? .plain(numLayers: config.blockCount), numBlocks: numBlocks, blockSize: blockSize,
                     kvWidth: config.kvWidth, headDim: config.keyLength, dtype: dtype)
    }

    /// Checks token ids and cache capacity before any work is done.
    func validate(_ batch: ForwardBatch, cache: PagedKVCache) throws {
        for t in batch.tokenIDs where t < 0 || Int(t) >= config.vocabularySize {
            throw ModelError.tokenOutOfRange(t, vocabularySize: config.vocabularySize)
        }
        let windows = cache.layout.tableWindows
        for s in batch.sequences {
            let end = s.startPosition + s.tokenRange.count
            guard s.blockTables.count == windows.count else { throw ModelError.blockTables(given: s.blockTables.count, layout: windows.count) }
            for (table, window) in zip(s.blockTables, windows) {
                guard table.count * cache.blockSize >= end else {
                    throw ModelError.contextOverflow(position: end, limit: table.count * cache.blockSize)
                }
                // A window table's blocks wholly before the first new token's window may be released (-1).
                let released = window.map { max(0, s.startPosition + 1 - $0) / cache.blockSize } ?? 0
                for (i, b) in table.enumerated() where (b < 0 && i >= released) || Int(b) >= cache.numBlocks {
                    throw ModelError.contextOverflow(position: end, limit: cache.numBlocks * cache.blockSize)
                }
            }
        }
    }
}
