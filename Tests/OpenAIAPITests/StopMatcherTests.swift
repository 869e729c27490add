import OpenAIAPI
import XCTest

final class StopMatcherTests: XCTestCase {
    /// Feeds `pieces`, returns everything emitted (including the final flush) and whether it stopped.
    private func run(_ stops: [String], _ pieces: [String]) -> (String, Bool, [String]) {
        var m = StopMatcher(stops: stops)
        var emitted: [String] = []
        for p in pieces {
            emitted.append(m.push(p))
            if m.stopped { break }
        }
        emitted.append(m.flush())
        return (emitted.joined(), m.stopped, emitted)
    }

    func testStopSplitAcrossPiecesNeverLeaks() {
        let (text, stopped, chunks) = run(["END"], ["Hello E", "N", "D and more"])
        XCTAssertEqual(text, "Hello ")
        XCTAssertTrue(stopped)
        XCTAssertFalse(chunks.contains { $0.contains("E") && $0 != "Hello " })
    }

    func testHeldTextIsReleasedWhenItCannotBecomeAStop() {
        let (text, stopped, chunks) = run(["END"], ["a E", "x", "N"])
        XCTAssertEqual(text, "a ExN")
        XCTAssertFalse(stopped)
        XCTAssertEqual(chunks[0], "a ")  // "E" held back
        XCTAssertEqual(chunks[1], "Ex")
    }

    func testEarliestOfSeveralStopsWins() {
        XCTAssertEqual(run(["world", "lo w"], ["hello world"]).0, "hel")
        XCTAssertEqual(run(["\n\n", "User:"], ["Sure.\n", "\nUser: hi"]).0, "Sure.")
    }

    func testNoStopsPassesEverythingThrough() {
        XCTAssertEqual(run([], ["a", "b"]).2, ["a", "b", ""])
    }

    func testMultiByteCharacters() {
        XCTAssertEqual(run(["ü!"], ["grü", "ß ü", "!x"]).0, "grüß ")
    }

    /// Against a brute-force reference: for random texts split randomly, the emitted text is
    /// the prefix before the first stop occurrence and no chunk ever contains a stop string.
    func testRandomSplitsMatchTheReference() {
        let alphabet = Array("ab \n")
        for seed in 0 ..< 500 {
            var g = SplitMix(seed: UInt64(seed))
            let text = String((0 ..< 30).map { _ in alphabet[Int(g.next() % 4)] })
            let stops = ["ab a", "\n\n", "bbb"]
            var pieces: [String] = []
            var rest = Substring(text)
            while !rest.isEmpty { let n = Int(g.next() % 4) + 1; pieces.append(String(rest.prefix(n))); rest = rest.dropFirst(n) }
            let cut = stops.compactMap { text.range(of: $0)?.lowerBound }.min()
            let expected = cut.map { String(text[..<$0]) } ?? text
            let (got, stopped, chunks) = run(stops, pieces)
            XCTAssertEqual(got, expected, "text \(text.debugDescription)")
            XCTAssertEqual(stopped, cut != nil)
            for c in chunks { for s in stops { XCTAssertFalse(c.contains(s)) } }
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
