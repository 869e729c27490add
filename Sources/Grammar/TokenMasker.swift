/// The allowed-token bitset for a grammar state over one vocabulary. Built once per
/// (grammar, vocabulary) and shared by every sequence using that grammar.
///
/// For each parse stack the mask is the union of two parts. Tokens whose fate is decided by
/// the stack's top element and its first `contextFrames` return frames are cached per such
/// key (`MaskCacheEntry`: accepted ones as a list or bitset, rejected ones not at all);
/// only the rest ("context-dependent": they pop past those frames with bytes left) are
/// walked at run time, through a byte trie of just them, with the real stack. Entries are
/// computed the first time a key is met (one walk of the shared vocabulary trie, pruned at
/// every rejected byte, each step a lookup in a `StackSetAutomaton`) and kept. Inside bounded
/// repetitions (a 512-character string) keys merge the levels no token can tell apart, and
/// entries below them walk only the longer tokens (`RepetitionLevels`).
public final class TokenMasker: Sendable {
    public let grammar: Grammar
    /// The grammar-independent part, shared with other grammars' maskers.
    public let tokenVocabulary: TokenVocabulary
    let contextFrames: Int
    /// Bounded repetitions' levels as cache keys use them (nil: the grammar has none).
    private let levels: RepetitionLevels?
    /// How far each grammar state is from a valid end (built with the masker, so once per
    /// cached grammar rather than once per request).
    public let lengths: CompletionLengths
    private let cache = LockedCache<[Int32], MaskCacheEntry>()

    /// A masker over a shared vocabulary (no per-grammar setup: entries are computed as
    /// states are met). `contextFrames`: return frames each cache key includes (more: fewer
    /// tokens walked at run time, more keys).
    public init(grammar: Grammar, vocabulary: TokenVocabulary, contextFrames: Int = 4) {
        self.grammar = grammar
        self.tokenVocabulary = vocabulary
        self.contextFrames = max(0, contextFrames)
        levels = RepetitionLevels(grammar, cap: vocabulary.trie.maxDepth + 1)
        lengths = CompletionLengths(grammar)
    }

    /// `vocabulary[i]`: token i's bytes (empty: never allowed; the caller handles EOS). Builds
    /// a `TokenVocabulary` for this masker alone: share one between grammars instead.
    public convenience init(grammar: Grammar, vocabulary: [[UInt8]], contextFrames: Int = 4) {
        self.init(grammar: grammar, vocabulary: TokenVocabulary(tokenBytes: vocabulary), contextFrames: contextFrames)
    }

    /// Each token's bytes; empty for control tokens (never allowed). // (vocabularySize)
    public var vocabulary: [[UInt8]] { tokenVocabulary.tokens }

    /// Number of UInt32 words a mask has: one bit per token, token t at bit t % 32 of word t / 32.
    public var maskWords: Int { tokenVocabulary.maskWords }

    /// Number of cache entries computed so far (diagnostics).
    public var cachedStates: Int { cache.count }

    /// Computes the cache entries of the grammar's start state, so a request's first mask is
    /// a cache hit: call it where waiting is cheap (the request's thread, at admission), not
    /// on the engine's.
    public func prepareStart() {
        let mask = UnsafeMutablePointer<UInt32>.allocate(capacity: maskWords)  // (maskWords) discarded
        defer { mask.deallocate() }
        fillMask(GrammarMatcher(grammar: grammar), into: mask)
    }

    /// Writes the tokens `matcher` allows next into `mask` (`maskWords` words). EOS is not
    /// included: allow it when `matcher.canEnd`.
    public func fillMask(_ matcher: GrammarMatcher, into mask: UnsafeMutablePointer<UInt32>) {
        var scratch = MaskScratch()
        fillMask(matcher, into: mask, scratch: &scratch)
    }

    /// `fillMask` reusing `scratch`'s buffers (no allocations once they have grown).
    public func fillMask(_ matcher: GrammarMatcher, into mask: UnsafeMutablePointer<UInt32>, scratch: inout MaskScratch) {
        mask.update(repeating: 0, count: maskWords)
        for s in matcher.stacks where s.position >= 0 {
            let (key, exact) = cacheKey(s)
            let entry = cachedEntry(key, exact: exact, scratch: &scratch)
            entry.addAccepted(to: mask, vocabulary: tokenVocabulary)
            if let dependent = entry.dependent {
                walk(dependent, from: [s], scratch: &scratch) { mask[Int($0) >> 5] |= 1 << (UInt32($0) & 31) }
            }
            if let dependent = entry.base?.dependent {
                walk(dependent, from: [s], scratch: &scratch) { mask[Int($0) >> 5] |= 1 << (UInt32($0) & 31) }
            }
        }
    }

    /// The top position and up to `contextFrames` return positions (as `levels.key` maps
    /// them); `exact` when that is the whole stack.
    private func cacheKey(_ s: GrammarStack) -> ([Int32], Bool) {
        var key = [keyPosition(s.position)]
        var f = s.rest
        while let frame = f, key.count <= contextFrames {
            key.append(keyPosition(frame.position))
            f = frame.parent
        }
        if f == nil { key.append(-1) }
        return (key, f == nil)
    }

    @inline(__always) private func keyPosition(_ p: Int32) -> Int32 {
        guard let levels, p >= 0 else { return p }
        return levels.key[Int(p)]
    }

    private func cachedEntry(_ key: [Int32], exact: Bool, scratch: inout MaskScratch) -> MaskCacheEntry {
        if let e = cache[key] { return e }
        var rest: ReturnFrame? = exact ? nil : ReturnFrame.boundary
        let frames = exact ? key.dropLast() : key[...]
        for p in frames.dropFirst().reversed() { rest = ReturnFrame(p, rest) }
        let start = GrammarStack(position: key[0], rest: rest)
        // Below a repetition's base level: the short tokens behave as at the base.
        var base: MaskCacheEntry?, step = 0
        if let levels, case let lowest = frames.reduce(Int32.max, { min($0, levels.level[Int($1)]) }), lowest < .max,
           let s = tokenVocabulary.lengthStep(atMost: lowest) {
            base = cachedEntry(key.map { $0 >= 0 ? levels.lift[Int($0)] : $0 }, exact: exact, scratch: &scratch)
            step = s
        }
        let trie = base == nil ? tokenVocabulary.trie : tokenVocabulary.longTries[step]
        let e = MaskCacheEntry(grammar: grammar, vocabulary: tokenVocabulary, trie: trie, start: start, scratch: &scratch, base: base, baseStep: step)
        cache[key] = e
        return e
    }

    /// Calls `accept` for each token of `trie` the grammar accepts from `stacks`, skipping
    /// every subtree whose prefix is rejected.
    func walk(_ trie: TokenTrie, from stacks: [GrammarStack], scratch: inout MaskScratch, accept: (Int32) -> Void) {
        scratch.prepare(depth: trie.maxDepth, initial: stacks)
        var i = 0
        let n = trie.nodeCount
        while i < n {
            let d = Int(trie.depth[i])
            let parent = scratch.states[d - 1]
            grammar.advance(parent, trie.bytes[i], into: &scratch.states[d])
            if scratch.states[d].isEmpty {
                i = Int(trie.subtreeEnd[i])
                continue
            }
            for k in Int(trie.tokenStart[i])..<Int(trie.tokenStart[i + 1]) { accept(trie.tokens[k]) }
            i += 1
        }
    }
}

/// Reusable per-caller buffers for mask computation (one per thread computing masks).
public struct MaskScratch {
    /// Stacks after each prefix length of the current trie path. // (maxDepth + 1)
    var states: [[GrammarStack]] = []
    /// Automaton state after each prefix length of the current trie path. // (maxDepth + 1)
    var stateAt: [Int32] = []
    /// Whether a parse popped past the cache key's frames on the path above each depth. // (maxDepth + 1)
    var beyond: [Bool] = []
    var automaton = StackSetAutomaton()

    public init() {}

    mutating func prepare(depth: Int, initial: [GrammarStack]) {
        while states.count < depth + 1 { states.append([]) }
        states[0].removeAll(keepingCapacity: true)
        states[0].append(contentsOf: initial)
    }

    mutating func prepareWalk(depth: Int) {
        if stateAt.count < depth + 1 {
            stateAt = Array(repeating: 0, count: depth + 1)
            beyond = Array(repeating: false, count: depth + 1)
        }
        beyond[0] = false
    }
}
