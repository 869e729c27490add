import ChatTemplate
import Engine
import Foundation
import Kernels
import ModelFormats
import Models
import Tokenizers

/// A model ready to serve: the network on its kernel runtime, its tokenizer, chat template
/// and generation defaults, and what it takes to size and start an engine over it.
public struct LoadedModel: @unchecked Sendable {
    public enum Source {
        case gguf(GGUFFile)
        case checkpoint(SafetensorsCheckpoint)
    }

    public let model: any LanguageModel
    public let tokenizer: any Tokenizer
    /// The model's own chat template, else Tern's built-in one for its architecture.
    public let template: ChatTemplate?
    /// Sampling for fields a request leaves out (a checkpoint's generation_config.json).
    public let samplingDefaults: SamplingParams
    /// Tokens that end generation besides the tokenizer's end-of-generation tokens.
    public let endTokenIDs: Set<Int32>
    /// The file(s) behind it, for what only they can say (bench labels, every weight matrix).
    public let source: Source
    /// The kernel runtime the model computes on; its pool also serves the engine's sampling.
    public let matmul: Matmul
    /// How the engine's KV cache stores keys and values (`auto` already resolved).
    public let kvCacheDType: KVCacheDType
    /// A short identity of the model file(s): see `ModelDigest`.
    public let modelDigest: String
    /// What a log should say about how the model was loaded (template choice, KV cache dtype).
    public let notes: [String]

    public var pool: ComputePool { matmul.pool }

    /// Engine limits for this model: the KV pool from a memory budget (blocks of `kvCacheDType` in the
    /// model's KV layout: with sliding-window layers a block holds `pageLayers` layers, and a window
    /// table keeps only the blocks its window needs), and the longest context capped by both the
    /// model and the pool. Warns when `maxModelLen` was cut.
    public func schedulerConfig(kvCacheMemory: Int, blockSize: Int, maxModelLen: Int?, maxNumSeqs: Int, maxNumBatchedTokens: Int,
                                enablePrefixCaching: Bool, draft: LoadedModel? = nil) throws -> (config: SchedulerConfig, warning: String?) {
        let c = model.config, memory = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        // A pool the machine cannot hold would fail to map (or be killed later): refuse it now.
        guard kvCacheMemory <= memory else { throw LoaderError.kvPoolTooLarge(bytes: kvCacheMemory, physicalMemory: memory) }
        let layout = model.kvLayout
        // A draft model keeps its own K/V in the same block ids: each block costs both.
        let draftBytes = draft.map { d in
            PagedKVCache.bytesPerBlock(numLayers: d.model.kvLayout.pageLayers, blockSize: blockSize, kvWidth: d.model.config.kvWidth, dtype: kvCacheDType)
        } ?? 0
        let bytesPerBlock = PagedKVCache.bytesPerBlock(numLayers: layout.pageLayers, blockSize: blockSize, kvWidth: c.kvWidth, dtype: kvCacheDType) + draftBytes
        let numBlocks = kvCacheMemory / bytesPerBlock
        var config = SchedulerConfig(maxNumSeqs: maxNumSeqs, maxNumBatchedTokens: max(maxNumBatchedTokens, 1), maxModelLen: 0,
                                     blockSize: blockSize, numBlocks: numBlocks, enablePrefixCaching: enablePrefixCaching,
                                     kvCacheDType: kvCacheDType, kvGroups: layout.groups)
        guard config.blocksNeeded(tokens: 1) <= numBlocks else { throw LoaderError.kvPoolTooSmall(bytesPerBlock: bytesPerBlock * layout.numTables) }
        config.maxModelLen = config.longestFitting(limit: maxModelLen ?? c.contextLength)
        var warning: String?
        if let asked = maxModelLen, asked > config.maxModelLen {
            warning = "max_model_len \(asked) does not fit the KV pool (\(numBlocks) blocks); using \(config.maxModelLen)"
        }
        return (config, warning)
    }

    /// An engine over this model, its loop running (`draft`: the draft model when
    /// `config.speculative` names one).
    public func makeEngine(_ config: SchedulerConfig, draft: LoadedModel? = nil) -> EngineCore {
        EngineCore(model: model, pool: pool, config: config, draftModel: draft?.model)
    }

    /// OpenAI's `system_fingerprint` for answers computed by this model with a KV cache of
    /// `kvCacheDType`: everything an answer depends on besides the request — the kernel family
    /// (avx512-vnni, avx2 or portable), the KV dtype and the model file's digest — plus the matmul
    /// choice when it is not the default one (then answers also depend on batching), e.g.
    /// "tern-avx512-vnni-f16-3c09d2e1a4b7". Two answers with the same fingerprint to the same
    /// request (with a seed, or greedy) are the same.
    public func systemFingerprint(kvCacheDType: KVCacheDType) -> String {
        let family = Ops.usingAVX512 ? "avx512-vnni" : Ops.usingAVX2 ? "avx2" : "portable"
        let matmulChoice: String
        switch matmul.path {
        case .gemm: matmulChoice = "-gemm"
        case .auto where matmul.gemmMinRows != .max: matmulChoice = "-gemm\(matmul.gemmMinRows)"
        case .auto, .gemv: matmulChoice = ""
        }
        return "tern-\(family)-\(kvCacheDType)\(matmulChoice)-\(modelDigest)"
    }

    /// The tokens that end generation for requests: the tokenizer's and the defaults'.
    public var eosTokenIDs: Set<Int32> { tokenizer.eogTokenIDs.union(endTokenIDs) }
}
