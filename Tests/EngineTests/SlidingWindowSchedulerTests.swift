import Engine
import Models
import XCTest

/// The scheduler with sliding-window block tables beside a full-attention one (Gemma 3's
/// shape), driven by `SchedulerTests`' fake model: a window table gives back each block its
/// window has left (-1 in its place), while the full table keeps every block; prefix hits, forks
/// and preemption work over both, and nothing leaks.
final class SlidingWindowSchedulerTests: XCTestCase {
    /// Blocks of 4 positions; one full table and two tables of a 10-position window.
    static func config(numBlocks: Int, budget: Int = 8, maxNumSeqs: Int = 4,
                       groups: [KVLayout.Group] = [.init(window: nil, tables: 1), .init(window: 10, tables: 2)]) -> SchedulerConfig {
        SchedulerConfig(maxNumSeqs: maxNumSeqs, maxNumBatchedTokens: budget, maxModelLen: 512, blockSize: 4, numBlocks: numBlocks,
                        kvGroups: groups)
    }

    /// Steps to the end; after every step each table holds exactly what its window needs, every
    /// block's reference count equals its holders, and at the end no block is in use. Returns the
    /// outputs and the most blocks in use at once.
    @discardableResult
    func drive(_ s: Scheduler, onStep: ((SchedulerOutput) -> Void)? = nil) -> (outputs: [String: [Int32]], peak: Int) {
        var outputs: [String: [Int32]] = [:]
        var peak = 0, steps = 0
        let windows = s.config.kvGroups.flatMap { g in Array(repeating: g.window, count: g.tables) }
        while s.hasWork && steps < 10_000 {
            let out = s.schedule()
            peak = max(peak, s.pool.numUsedBlocks)
            onStep?(out)
            for e in s.update(out, SchedulerTests.fakeRun(s, out)) {
                if case .token(let t, _) = e.event { outputs[e.id.description, default: []].append(t) }
            }
            var holders: [Int32: Int] = [:]
            for r in s.running + s.waiting {
                for b in r.blockIDs { holders[b, default: 0] += 1 }
                for (table, window) in zip(r.blockTables, windows) {
                    let first = window.map { max(0, r.numComputedTokens + 1 - $0) / s.config.blockSize } ?? 0
                    XCTAssertEqual(table.prefix(first).filter { $0 >= 0 }, [], "\(r.id): a block the window left is still held")
                    XCTAssertFalse(table.dropFirst(first).contains(-1), "\(r.id): a block the window needs was released")
                    if let window { XCTAssertLessThanOrEqual(table.count - first, s.config.windowBlocks(window)) }
                }
            }
            XCTAssertEqual(s.pool.numUsedBlocks, holders.count)
            for (b, n) in holders { XCTAssertEqual(s.pool.refCount[Int(b)], n, "block \(b) refcount") }
            steps += 1
        }
        XCTAssertFalse(s.hasWork)
        XCTAssertEqual(s.pool.numUsedBlocks, 0, "blocks leaked")
        return (outputs, peak)
    }

    func expected(_ prompt: [Int32], _ n: Int) -> [Int32] {
        var all = prompt
        return (0 ..< n).map { _ in
            let t = SchedulerTests.nextToken(all)
            all.append(t)
            return t
        }
    }

    func prompt(_ seed: Int, _ n: Int) -> [Int32] { (0 ..< n).map { Int32(2 + (seed * 7919 + $0 * 31) % 400) } }

    /// 70 positions are 18 blocks per table: 54 without windows; here the full table holds 18 and
    /// each window table at most `windowBlocks(10)` = 6.
    func testWindowTablesGiveBackTheBlocksTheWindowLeft() throws {
        let s = Scheduler(config: Self.config(numBlocks: 64))
        let p = prompt(1, 30)
        try s.add(EngineRequest(requestID: "a", promptTokenIDs: p, maxTokens: 40, ignoreEOS: true))
        let (outputs, peak) = drive(s)
        XCTAssertEqual(outputs["a"], expected(p, 40))
        XCTAssertLessThanOrEqual(peak, 18 + 2 * 6)
        XCTAssertEqual(Self.config(numBlocks: 64).blocksNeeded(tokens: 70), 18 + 2 * 6)
    }

    /// Only window tables (Mistral's shape): a 400-position sequence runs in a pool of 8 blocks.
    func testWindowOnlyLayoutRunsLongSequencesInAFewBlocks() throws {
        let cfg = Self.config(numBlocks: 8, groups: [.init(window: 10, tables: 1)])
        XCTAssertEqual(cfg.blocksNeeded(tokens: 400), 6)
        let s = Scheduler(config: cfg)
        let p = prompt(2, 150)
        try s.add(EngineRequest(requestID: "m", promptTokenIDs: p, maxTokens: 250, ignoreEOS: true))
        XCTAssertEqual(drive(s).outputs["m"], expected(p, 250))
    }

    /// A prompt computed before comes from the cache beyond the window: the full table takes
    /// every block, the window tables only those the next token reads.
    func testPrefixHitBeyondTheWindow() throws {
        let s = Scheduler(config: Self.config(numBlocks: 96, budget: 64))
        let shared = prompt(3, 40)
        try s.add(EngineRequest(requestID: "first", promptTokenIDs: shared + [7], maxTokens: 3, ignoreEOS: true))
        drive(s)
        try s.add(EngineRequest(requestID: "second", promptTokenIDs: shared + [9, 11], maxTokens: 5, ignoreEOS: true))
        var checked = false
        let outputs = drive(s) { out in
            guard !checked, let item = out.scheduled.first else { return }
            checked = true
            XCTAssertEqual(item.startPosition, 40, "ten blocks from the cache")
            XCTAssertEqual(item.blockTables[0].prefix(10).filter { $0 < 0 }, [], "the full table takes every cached block")
            for t in 1 ... 2 {
                // The token at 40 reads positions 31...40: blocks 7 and up.
                XCTAssertEqual(Array(item.blockTables[t].prefix(7)), Array(repeating: -1, count: 7))
                XCTAssertFalse(item.blockTables[t].dropFirst(7).contains(-1))
            }
        }.outputs
        XCTAssertTrue(checked)
        XCTAssertEqual(outputs["second"], expected(shared + [9, 11], 5))
    }

    /// n = 3 in a pool too small for all three: samples share the prompt's blocks in every
    /// table, copy the shared partial blocks, are preempted (giving back every table's blocks) and
    /// recomputed, and each gets the tokens it would get alone.
    func testForksAndPreemptionOverBothGroups() throws {
        let s = Scheduler(config: Self.config(numBlocks: 40, budget: 12, maxNumSeqs: 4))
        let p = prompt(4, 22)
        var r = EngineRequest(requestID: "f", promptTokenIDs: p, maxTokens: 30, ignoreEOS: true)
        r.n = 3
        try s.add(r)
        var preempted = 0, copies = 0
        let outputs = drive(s) { out in
            copies += out.copies.count
            for id in out.preempted {
                preempted += 1
                XCTAssertEqual(s.state(id)?.blockIDs, [], "\(id) keeps blocks after preemption")
            }
        }.outputs
        XCTAssertGreaterThan(preempted, 0, "the pool was meant to run out")
        XCTAssertGreaterThan(copies, 0, "copy-on-write of the shared partial blocks")
        for i in 0 ..< 3 { XCTAssertEqual(outputs[SequenceID("f", i).description], expected(p, 30)) }
    }
}
