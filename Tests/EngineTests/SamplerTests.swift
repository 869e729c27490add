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
