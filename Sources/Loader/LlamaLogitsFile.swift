import ModelFormats

/// The log-probabilities file that `llama-perplexity --kl-divergence-base FILE` writes: a base
/// model's distribution at every scored position of every chunk, for comparing another model
/// (or engine) against it. Little-endian layout:
///
///     "_logits_"                                      8 bytes
///     int32 nCtx, int32 nVocab, int32 nChunk
///     int32 tokens[nChunk * nCtx]                     the tokenized text (BOS not substituted)
///     per chunk, per scored position (nCtx - 1 - nCtx/2 of them, predicting tokens[nCtx/2 + 1 ...]):
///       uint16 record[nv], nv = 2 * ((nVocab + 1) / 2) + 4:
///         float32 scale, float32 minLogProb          (the first 4 uint16)
///         uint16 q[nVocab] (+1 padding when odd)      log p(i) = scale * q[i] + minLogProb
///
/// llama.cpp quantizes the log-probabilities within 16 of the top one over 65535 steps, and stores
/// every lower one as `minLogProb`.
public struct LlamaLogitsFile: @unchecked Sendable {
    /// One scored position: the base distribution as stored.
    public struct Record {
        public let scale: Float
        public let minLogProb: Float
        /// (nVocab) quantized log-probabilities.
        public let values: UnsafeBufferPointer<UInt16>

        /// The base log-probability of token `i`.
        @inline(__always) public func logProb(_ i: Int) -> Float { scale * Float(values[i]) + minLogProb }
    }

    public static let magic = Array("_logits_".utf8)

    public let path: String
    public let contextSize: Int
    public let vocabularySize: Int
    public let chunkCount: Int
    /// (chunkCount * contextSize) the evaluation tokens, as llama.cpp tokenized the text.
    public let tokens: [Int32]
    private let file: MappedFile
    /// The first record's first byte.
    private let records: UnsafeRawPointer

    /// Scored positions per chunk: the second half of the context, but its last position.
    public var scoredPerChunk: Int { contextSize - 1 - contextSize / 2 }
    /// uint16 words per record.
    public var recordWords: Int { 2 * ((vocabularySize + 1) / 2) + 4 }

    /// Maps `path` and checks its header and size; a file of another shape is a clear error.
    public init(path: String) throws {
        self.path = path
        do { file = try MappedFile(path: path) } catch { throw LoaderError.badLogitsFile(path: path, reason: "\(error)") }
        let bytes = file.bytes
        func int32(at offset: Int) -> Int { Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self))) }
        guard bytes.count >= 20, Array(bytes[0 ..< 8]) == Self.magic else {
            throw LoaderError.badLogitsFile(path: path, reason: "it does not start with \"_logits_\" (not written by llama-perplexity --kl-divergence-base)")
        }
        contextSize = int32(at: 8)
        vocabularySize = int32(at: 12)
        chunkCount = int32(at: 16)
        guard contextSize >= 4, vocabularySize > 0, chunkCount > 0, contextSize < 1 << 24, vocabularySize < 1 << 24, chunkCount < 1 << 20 else {
            throw LoaderError.badLogitsFile(path: path, reason: "implausible header: n_ctx \(contextSize), n_vocab \(vocabularySize), n_chunk \(chunkCount)")
        }
        let recordsOffset = 20 + 4 * chunkCount * contextSize
        let expected = recordsOffset + 2 * chunkCount * (contextSize - 1 - contextSize / 2) * (2 * ((vocabularySize + 1) / 2) + 4)
        guard bytes.count == expected else {
            throw LoaderError.badLogitsFile(path: path, reason: "\(bytes.count) bytes, but n_ctx \(contextSize), n_vocab \(vocabularySize) and n_chunk \(chunkCount) make \(expected) (truncated or another format)")
        }
        guard let start = bytes.baseAddress else { throw LoaderError.badLogitsFile(path: path, reason: "empty") }
        records = start + recordsOffset
        tokens = (0 ..< chunkCount * contextSize).map { Int32(truncatingIfNeeded: int32(at: 20 + 4 * $0)) }
    }

    /// The base distribution at scored position `row` (0 ..< scoredPerChunk) of chunk `chunk`:
    /// the prediction of `tokens[chunk * contextSize + contextSize / 2 + row + 1]`.
    public func record(chunk: Int, row: Int) -> Record {
        let base = records + 2 * recordWords * (chunk * scoredPerChunk + row)
        let scale = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(as: UInt32.self)))
        let minLogProb = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        // Records start at even offsets (20 + 4k, then whole records of an even number of words).
        let values = (base + 8).assumingMemoryBound(to: UInt16.self)
        return Record(scale: scale, minLogProb: minLogProb, values: UnsafeBufferPointer(start: values, count: vocabularySize))
    }
}
