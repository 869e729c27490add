import Kernels

/// What the engine needs of a model: its shape, a paged KV cache of the right width, and a
/// batched forward pass that returns logits only for the rows that asked for them. (A model
/// computes with the `Matmul` it was made with, and prepares its weights there at load.)
public protocol LanguageModel: AnyObject, Sendable {
    var config: ModelConfig { get }
    /// Logits (batch.logitRows.count, vocabularySize), in the order of `batch.logitRows`.
    func forward(_ batch: ForwardBatch, cache: PagedKVCache) throws -> FloatBuffer
}

extension LanguageModel {
    /// A KV cache for this model of `numBlocks` blocks of `blockSize` positions, stored as `dtype`.
    public func makeCache(numBlocks: Int, blockSize: Int, dtype: KVCacheDType = .f32) -> PagedKVCache {
        PagedKVCache(numLayers: config.blockCount, numBlocks: numBlocks, blockSize: blockSize, kvWidth: config.kvWidth,
                     headDim: config.keyLength, dtype: dtype)
    }

    /// Checks token ids and cache capacity before any work is done.
    func validate(_ batch: ForwardBatch, cache: PagedKVCache) throws {
        for t in batch.tokenIDs where t < 0 || Int(t) >= config.vocabularySize {
            throw ModelError.tokenOutOfRange(t, vocabularySize: config.vocabularySize)
        }
        for s in batch.sequences {
            let end = s.startPosition + s.tokenRange.count
            guard s.blockTable.count * cache.blockSize >= end else {
                throw ModelError.contextOverflow(position: end, limit: s.blockTable.count * cache.blockSize)
            }
            for b in s.blockTable where b < 0 || Int(b) >= cache.numBlocks {
                throw ModelError.contextOverflow(position: end, limit: cache.numBlocks * cache.blockSize)
            }
        }
    }
}
