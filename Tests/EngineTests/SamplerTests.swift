import Engine
import XCTest

final class SamplerTests: XCTestCase {
    func sample(_ logits: [Float], _ p: SamplingParams, seed: UInt64 = 1, history: Sampler.History = .init()) -> Int32 {
        var l = logits
        var rng = RandomSource(seed: seed)
        return Sampler.sample(&l, vocab: l.count, params: p, history: history, rng: &rng)
    }

    func testGreedyPicksArgmaxLowestIndexOnTies() {
        XCTAssertEqual(sample([0, 3, 1, 3], .greedy), 1)
        XCTAssertEqual(sample([0, 3, 1, 5], SamplingParams(temperature: 1, topK: 1)), 3)
    }

    func testTopKAndMinPAndTopPRestrictTheCandidates() {
        let logits: [Float] = [5, 4.9, 0, 0, 0, 0]
        for s in 0 ..< 200 {
            XCTAssertLessThan(sample(logits, SamplingParams(temperature: 1, topK: 2), seed: UInt64(s)), 2)
            XCTAssertLessThan(sample(logits, SamplingParams(temperature: 1, minP: 0.5), seed: UInt64(s)), 2)
            XCTAssertEqual(sample([5, 1, 1, 1], SamplingParams(temperature: 1, topP: 0.5), seed: UInt64(s)), 0)
        }
    }

    /// The candidate set against sorting the whole vocabulary: same tokens, same mass, for
    /// top-k (a heap), top-p (sorted bands), min-p and their mixes, over a Gemma-sized
    /// vocabulary with ties.
    func testCandidatesMatchAFullSort() {
        var rng = RandomSource(seed: 7)
        let vocab = 262_144
        let logits = (0 ..< vocab).map { _ in Float(Int(rng.nextUnit() * 4000)) / 100 - 20 }  // steps of 0.01: many ties
        let cases = [SamplingParams(temperature: 1), SamplingParams(temperature: 0.7, topK: 40), SamplingParams(temperature: 1, topP: 0.9),
                     SamplingParams(temperature: 1.3, topK: 500, topP: 0.5), SamplingParams(temperature: 1, minP: 0.05),
                     SamplingParams(temperature: 1, topK: 1), SamplingParams(temperature: 0.8, topP: 0.95, minP: 0.01)]
        for p in cases {
            let got = logits.withUnsafeBufferPointer { Sampler.filtered($0.baseAddress!, vocab: vocab, params: p) }
            // Reference: every token within e^-30 of the top, sorted most likely first, cut in order.
            let maxLogit = Double(logits.max()!), invT = 1 / Double(p.temperature)
            var ref = logits.indices.filter { Double(logits[$0]) >= maxLogit - 30 / invT }
                .map { (id: Int32($0), p: exp((Double(logits[$0]) - maxLogit) * invT)) }
                .sorted { $0.p > $1.p || ($0.p == $1.p && $0.id < $1.id) }
            if p.topK > 0, ref.count > p.topK { ref = Array(ref.prefix(p.topK)) }
            if p.minP > 0 { ref.removeAll { $0.p < Double(p.minP) } }
            if p.topP < 1 {
                let target = Double(p.topP) * ref.reduce(0) { $0 + $1.p }
                var acc = 0.0
                let keep = ref.firstIndex { acc += $0.p; return acc >= target }.map { $0 + 1 } ?? ref.count
                ref = Array(ref.prefix(keep))
            }
            XCTAssertEqual(Set(got.items.map(\.id)), Set(ref.map(\.id)), "\(p)")
            XCTAssertEqual(got.total, ref.reduce(0) { $0 + $1.p }, accuracy: 1e-6 * got.total, "\(p)")
            if p.topK > 0 || p.topP < 1 { XCTAssertEqual(got.items.map(\.id), ref.map(\.id), "most likely first: \(p)") }
        }
    }

    /// Temperature alone draws from the candidate arrays directly: the same token, seed for
    /// seed, as a walk over `filtered`'s items (the general path).
    func testUnfilteredDrawEqualsTheWalkOverFilteredItems() {
        var gen = RandomSource(seed: 11)
        let vocab = 262_144
        let logits = (0 ..< vocab).map { _ in Float(gen.nextUnit() * 30 - 15) }
        for t in [Float(0.6), 1, 1.5] {
            let p = SamplingParams(temperature: t)
            let c = logits.withUnsafeBufferPointer { Sampler.filtered($0.baseAddress!, vocab: vocab, params: p) }
            for seed in 0 ..< 40 {
                var rng = RandomSource(seed: UInt64(seed))
                var u = rng.nextUnit() * c.total
                let walked = c.items.first { u -= $0.p; return u < 0 }?.id ?? c.items.last?.id
                XCTAssertEqual(sample(logits, p, seed: UInt64(seed)), walked, "temperature \(t), seed \(seed)")
            }
        }
    }

    func testTemperatureSamplingFollowsTheDistribution() {
        // p = softmax([log 1, log 3]) = [0.25, 0.75]
        let logits: [Float] = [0, log(3)]
        var ones = 0
        for s in 0 ..< 4000 where sample(logits, SamplingParams(temperature: 1), seed: UInt64(s)) == 1 { ones += 1 }
        XCTAssertEqual(Double(ones) / 4000, 0.75, accuracy: 0.03)
    }

    func testSeedsAreReproducible() {
        let logits: [Float] = (0 ..< 100).map { Float($0 % 7) }
        let p = SamplingParams(temperature: 1.2)
        XCTAssertEqual((0 ..< 20).map { sample(logits, p, seed: UInt64($0)) }, (0 ..< 20).map { sample(logits, p, seed: UInt64($0)) })
        XCTAssertNotEqual((0 ..< 20).map { sample(logits, p, seed: UInt64($0)) }, (0 ..< 20).map { sample(logits, p, seed: UInt64($0 + 100)) })
    }

    func testBiasAndPenalties() {
        var p = SamplingParams.greedy
        p.logitBias = [0: 10]
        XCTAssertEqual(sample([1, 2, 3], p), 0)
        var h = Sampler.History()
        h.append(2)
        h.append(2)
        p = .greedy
        p.frequencyPenalty = 0.6   // 3 - 1.2 = 1.8 < 2
        XCTAssertEqual(sample([1, 2, 3], p, history: h), 1)
        p = .greedy
        p.presencePenalty = 0.5    // 3 - 0.5 = 2.5 > 2
        XCTAssertEqual(sample([1, 2, 3], p, history: h), 2)
        p = .greedy
        p.repetitionPenalty = 2    // 3 / 2 = 1.5 < 2
        XCTAssertEqual(sample([1, 2, 3], p, history: h), 1)
    }
}
