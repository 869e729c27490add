import Engine
import Foundation
import Grammar
import Tokenizers

/// The compiled constraints of one served model: its `TokenVocabulary` (built on first
/// use, shared by every grammar), and one `TokenMasker` per distinct grammar, so requests with the same schema share
/// its warm mask cache. The least recently used are dropped past `capacity`. Compiling (and
/// the start state's mask entries) runs on the request's thread, never the engine's.
final class GrammarCache: @unchecked Sendable {
    let options: JSONSchemaOptions
    private let tokenizer: any Tokenizer
    private let capacity: Int
    private let lock = NSLock()
    // Guarded by `lock`:
    private var vocabulary: TokenVocabulary?
    private var maskers: [String: (masker: TokenMasker, lastUse: Int)] = [:]
    private var uses = 0

    init(tokenizer: any Tokenizer, options: JSONSchemaOptions, capacity: Int = 64) {
        self.tokenizer = tokenizer
        self.options = options
        self.capacity = capacity
    }

    /// The constraint for `format` (always on from the first token).
    func constraint(_ format: OutputFormat) throws -> TokenConstraint {
        TokenConstraint(masker: try masker(key: "\(format.kind)") { try format.compile(options: options) })
    }

    /// The masker of the grammar `key` names, compiled by `build` when not cached.
    func masker(key: String, build: () throws -> Grammar) throws -> TokenMasker {
        if let m = lookup(key) { return m }
        let grammar = try build()
        let masker = TokenMasker(grammar: grammar, vocabulary: tokenVocabulary())
        masker.prepareStart()  // the first step's mask entries, here rather than on the engine thread
        lock.lock()
        defer { lock.unlock() }
        uses += 1
        maskers[key] = (masker, uses)
        if maskers.count > capacity, let oldest = maskers.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            maskers[oldest] = nil
        }
        return masker
    }

    private func lookup(_ key: String) -> TokenMasker? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = maskers[key] else { return nil }
        uses += 1
        maskers[key]?.lastUse = uses
        return entry.masker
    }

    /// Every token's bytes as the grammar sees them (control tokens: none, never allowed) and
    /// their trie, built once per model.
    func tokenVocabulary() -> TokenVocabulary {
        lock.lock()
        defer { lock.unlock() }
        if let v = vocabulary { return v }
        let bytes = (0 ..< Int32(tokenizer.vocabularySize)).map { tokenizer.isControl($0) ? [] : tokenizer.tokenBytes($0) }
        let v = TokenVocabulary(tokenBytes: bytes)
        vocabulary = v
        return v
    }
}
