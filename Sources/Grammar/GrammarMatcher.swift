/// Where one sequence is in a grammar: the set of live parse stacks over the bytes accepted
/// so far. A value type; copies share their stacks, so cloning is cheap. Rejected input
/// leaves the state unchanged.
public struct GrammarMatcher: Sendable {
    public let grammar: Grammar
    var stacks: [GrammarStack]
    /// The stacks before each accepted token (or byte run), for `rollback`.
    private var history: [[GrammarStack]] = []

    /// The state before any input.
    public init(grammar: Grammar) {
        self.grammar = grammar
        self.stacks = grammar.initialStacks
    }

    /// The state after `tokens` from the start; nil if the grammar rejects them (a rebuild
    /// after preemption).
    public init?(grammar: Grammar, tokens: [Int], masker: TokenMasker) {
        self.init(grammar: grammar)
        for t in tokens where !accept(token: t, masker: masker) { return nil }
    }

    /// Consumes `bytes` if the grammar allows them all from here; otherwise returns false
    /// and changes nothing. One rollback step.
    @discardableResult
    public mutating func accept<S: Sequence<UInt8>>(bytes: S) -> Bool {
        var current = stacks
        var next: [GrammarStack] = []
        for b in bytes {
            grammar.advance(current, b, into: &next)
            if next.isEmpty { return false }
            swap(&current, &next)
        }
        history.append(stacks)
        stacks = current
        return true
    }

    /// Consumes token `token`'s bytes (per `masker`'s vocabulary). Tokens with no bytes
    /// (control tokens) are rejected; EOS is the caller's to handle with `canEnd`.
    @discardableResult
    public mutating func accept(token: Int, masker: TokenMasker) -> Bool {
        let tokens = masker.tokenVocabulary.tokens
        guard token >= 0, token < tokens.count, !tokens[token].isEmpty else { return false }
        return accept(bytes: tokens[token])
    }

    /// The grammar is complete here: end of sequence (EOS) is allowed.
    public var canEnd: Bool { stacks.contains { $0.position == -1 } }

    /// Nothing more can follow: the only way on is to end.
    public var isDone: Bool { stacks.allSatisfy { $0.position < 0 } }

    /// Number of accepted steps that `rollback` can undo.
    public var acceptedSteps: Int { history.count }

    /// Undoes the last `steps` successful `accept` calls (at most `acceptedSteps`).
    public mutating func rollback(_ steps: Int = 1) {
        let n = min(max(steps, 0), history.count)
        guard n > 0 else { return }
        stacks = history[history.count - n]
        history.removeLast(n)
    }

    /// Forgets the rollback history (keeps memory flat on long generations).
    public mutating func discardHistory() { history.removeAll() }

    /// Back to the state before any input.
    public mutating func reset() {
        stacks = grammar.initialStacks
        history.removeAll()
    }
}
