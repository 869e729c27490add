import Engine
import Foundation
import Grammar
import JSON
import Kernels
import Loader
import Models
import XCTest

/// Grammar-constrained sampling in the runner and engine: the mask overrides what the model
/// favours, EOS comes only where the grammar may end, a complete grammar ends the sequence,
/// a lazy trigger engages the grammar mid-text, forks each get their own state, and
/// constrained requests keep batch equivalence under preemption on the real SmolLM2.
final class ConstrainedDecodingTests: XCTestCase {
    typealias FakeModel = ModelRunnerTests.FakeModel
    let pool = ComputePool(threadCount: 2)
    /// Token t < 26 is the letter "a" + t; the rest have no bytes (never allowed by a grammar).
    static let letters: [[UInt8]] = (0 ..< 40).map { $0 < 26 ? [UInt8(97 + $0)] : [] }
    static let eos: Int32 = 30

    func constraint(regex: String, trigger: String? = nil) throws -> TokenConstraint {
        TokenConstraint(masker: TokenMasker(grammar: try Grammar(regex: regex), vocabulary: Self.letters),
                        trigger: trigger.map { Array($0.utf8) })
    }

    /// Greedy steps of one sequence on the fake model (it favours last token + 1); stops at
    /// EOS or when the runner reports the grammar complete.
    func generate(_ request: EngineRequest, steps: Int) throws -> (tokens: [Int32], ended: Bool) {
        let runner = ModelRunner(model: try FakeModel(), numBlocks: 8, blockSize: 16, pool: pool)
        var tokens: [Int32] = [], last = request.promptTokenIDs.last ?? 0
        for step in 0 ..< steps {
            var out = SchedulerOutput()
            var item = ScheduledRequest(id: SequenceID(request.requestID), tokenIDs: [last], startPosition: step, blockTable: [0])
            item.sample = SampleSpec(params: request.sampling)
            item.newRequest = step == 0 ? request : nil
            out.scheduled = [item]
            let row = try XCTUnwrap(try runner.execute(out).rows[SequenceID(request.requestID)])
            tokens += row.tokens
            last = row.tokens[0]
            if row.ended { return (tokens, true) }
            if request.eosTokenIDs.contains(last) { return (tokens, false) }
        }
        return (tokens, false)
    }

    func testMaskOverridesTheModelAndTheGrammarEndsTheSequence() throws {
        // The model would continue 4, 5, 6 ("efg"); the grammar allows only x, y, z, then must end.
        var request = EngineRequest(requestID: "g", promptTokenIDs: [3], eosTokenIDs: [Self.eos])
        request.constraint = try constraint(regex: "[x-z]{2}")
        let (tokens, ended) = try generate(request, steps: 6)
        XCTAssertEqual(tokens, [23, 24], "x (lowest allowed), then y, which the model favours after x")
        XCTAssertTrue(ended, "the grammar is complete after two letters: no EOS step needed")
    }

    func testEOSOnlyWhereTheGrammarMayEnd() throws {
        // After "z" (29 here) the model favours EOS (30): masked while the grammar cannot end.
        var request = EngineRequest(requestID: "e", promptTokenIDs: [29], maxTokens: 8, eosTokenIDs: [Self.eos])
        request.constraint = try constraint(regex: "b+")
        XCTAssertEqual(try generate(request, steps: 1).tokens, [1], "EOS masked: the grammar needs a 'b' first")
        request.constraint = try constraint(regex: "b*")
        let (tokens, ended) = try generate(request, steps: 3)
        XCTAssertEqual(tokens, [Self.eos], "the empty text is complete: EOS allowed, and the model takes it")
        XCTAssertFalse(ended, "EOS itself ends it, not the grammar")
    }

    func testLazyTriggerEngagesTheGrammarAfterIt() throws {
        // Free text "cde" (the model counts up); once "de" shows, the grammar takes over: "zz".
        var request = EngineRequest(requestID: "t", promptTokenIDs: [1], eosTokenIDs: [Self.eos])
        request.constraint = try constraint(regex: "zz", trigger: "de")
        let (tokens, ended) = try generate(request, steps: 10)
        XCTAssertEqual(tokens, [2, 3, 4, 25, 25])
        XCTAssertTrue(ended)
    }

    func testClosesWithinTheTokenBudget() throws {
        // The model would count c, d, e, ... y before the closing z: 24 tokens. With 5 it takes
        // c, d, e while the budget allows, then the z that completes the grammar.
        var request = EngineRequest(requestID: "b", promptTokenIDs: [1], maxTokens: 5, eosTokenIDs: [Self.eos])
        request.constraint = try constraint(regex: "c[a-y]*z")
        let (tokens, ended) = try generate(request, steps: 5)
        XCTAssertEqual(tokens, [2, 3, 4, 25])
        XCTAssertTrue(ended)
        request.maxTokens = 100
        XCTAssertEqual(try generate(request, steps: 30).tokens.count, 24, "no budget pressure: the model's own path")
        // "cez" is the shortest answer: 3 tokens and the end never fit in 2, so nothing is
        // swapped (the answer is cut off either way); the model goes on with d, not e.
        request.maxTokens = 2
        request.constraint = try constraint(regex: "cd*ez")
        XCTAssertEqual(try generate(request, steps: 2).tokens, [2, 3])
    }

    func testEachForkHasItsOwnGrammarState() throws {
        let runner = ModelRunner(model: try FakeModel(), numBlocks: 8, blockSize: 16, pool: pool)
        var request = EngineRequest(requestID: "n", promptTokenIDs: [3], eosTokenIDs: [Self.eos])
        request.n = 2
        request.constraint = try constraint(regex: "[x-z]{2}")
        var out = SchedulerOutput()
        var parent = ScheduledRequest(id: SequenceID("n"), tokenIDs: [3], startPosition: 0, blockTable: [0])
        parent.sample = SampleSpec(params: .greedy)
        parent.newRequest = request
        var fork = ScheduledRequest(id: SequenceID("n", 1), tokenIDs: [], startPosition: 1, blockTable: [0])
        fork.sample = SampleSpec(params: .greedy, logitsFrom: SequenceID("n"))
        fork.newRequest = request
        out.scheduled = [parent, fork]
        let first = try runner.execute(out)
        XCTAssertEqual(first.rows[SequenceID("n")]?.tokens, [23])
        XCTAssertEqual(first.rows[SequenceID("n", 1)]?.tokens, [23], "the fork's own fresh grammar masks its copy of the row")
        XCTAssertEqual(first.maskedRows, 2)
    }

    /// On the real model: constrained greedy requests give exactly the tokens they give alone
    /// when batched with free ones under KV pressure (preemption and recompute keep the
    /// runner's grammar state), and every output is a complete sentence of the grammar.
    func testConstrainedOutputsUnderPreemptionMatchAlone() throws {
        let model = try BatchingEquivalenceTests.model()
        let vocabulary = (0 ..< Int32(model.tokenizer.vocabularySize)).map { model.tokenizer.isControl($0) ? [] : model.tokenizer.tokenBytes($0) }
        let schema: JSON = ["type": "object", "properties": ["name": ["type": "string", "maxLength": 12],
                                                             "age": ["type": "integer", "minimum": 0, "maximum": 99]],
                            "required": ["name", "age"]]
        let grammar = try Grammar(jsonSchema: schema)
        let masker = TokenMasker(grammar: grammar, vocabulary: vocabulary)
        let requests: [EngineRequest] = (0 ..< 6).map { i in
            var r = EngineRequest(requestID: "r\(i)", promptTokenIDs: model.tokenizer.encode("Person \(i) as JSON:", addSpecial: true, parseSpecial: false),
                                  maxTokens: 40, eosTokenIDs: model.endTokenIDs)
            if i % 3 != 2 { r.constraint = TokenConstraint(masker: masker) }
            return r
        }
        let batched = try BatchingEquivalenceTests.run(model, requests, numBlocks: 9, budget: 32)
        XCTAssertGreaterThan(batched.preemptions, 0, "the pool is small enough to preempt")
        for r in requests {
            let alone = try BatchingEquivalenceTests.run(model, [r], numBlocks: 64).outputs[r.requestID]
            XCTAssertEqual(batched.outputs[r.requestID], alone, r.requestID)
            guard r.constraint != nil, let tokens = alone else { continue }
            var m = GrammarMatcher(grammar: grammar)
            for t in tokens where !model.endTokenIDs.contains(t) { XCTAssertTrue(m.accept(token: Int(t), masker: masker)) }
            XCTAssertTrue(m.canEnd, "\(r.requestID): \(model.tokenizer.decode(tokens))")
        }
    }
}
