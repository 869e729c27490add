import Engine
import Foundation
import Loader
import Models

/// The offline serving benchmark: C closed-loop clients drive the engine directly (no HTTP),
/// each sending requests back to back; reports aggregate output tokens/s, time to first
/// token p50/p95, inter-token latency p50 and, when speculating, the share of guesses accepted
/// per concurrency level. Prompts are random tokens (`promptTokens` each, generating
/// `genTokens` regardless of EOS), or a given set (each prompt once, or cycled to 2C requests; greedy, to EOS or `genTokens`).
struct EngineBench {
    let loaded: LoadedModel
    let promptTokens: Int
    let genTokens: Int
    var prompts: [[Int32]]? = nil
    var speculative: SpeculativeConfig? = nil
    var draft: LoadedModel? = nil
    let blockSize = 16

    func run(concurrency c: Int) throws -> String {
        let perRequest = (prompts.map { $0.map(\.count).max() ?? 0 } ?? promptTokens) + genTokens
        var config = SchedulerConfig(maxNumSeqs: max(c, 1), maxNumBatchedTokens: 2048, maxModelLen: perRequest + 16,
                                     blockSize: blockSize, numBlocks: 0, enablePrefixCaching: true,
                                     kvCacheDType: loaded.kvCacheDType, kvGroups: loaded.model.kvLayout.groups, speculative: speculative)
        config.numBlocks = c * config.blocksNeeded(tokens: perRequest + blockSize + 16) + 16 * loaded.model.kvLayout.numTables
        let engine = loaded.makeEngine(config, draft: draft)
        defer { engine.shutdown() }
        // A given set runs once, or cycles to 2C requests so that C clients stay busy.
        let total = max(prompts?.count ?? 4, 2 * c)
        var rng = RandomSource(seed: 42)
        // Unique prompts (no prefix hits), token ids away from the special ones.
        let prompts: [[Int32]] = self.prompts.map { set in (0 ..< total).map { set[$0 % set.count] } } ?? (0 ..< total).map { _ in
            (0 ..< promptTokens).map { _ in Int32(100 + Int(rng.next() % UInt64(loaded.model.config.vocabularySize - 200))) }
        }
        let given = self.prompts != nil, eos = loaded.eosTokenIDs
        let rec = Record(total)
        let done = DispatchSemaphore(value: 0)
        let genTokens = self.genTokens
        @Sendable func launch() {
            rec.lock.lock()
            let i = rec.next
            rec.next += 1
            if i < total { rec.sent[i] = DispatchTime.now().uptimeNanoseconds }
            rec.lock.unlock()
            guard i < total else { return }
            let request = EngineRequest(requestID: "bench-\(i)", promptTokenIDs: prompts[i], sampling: .greedy,
                                        maxTokens: genTokens, eosTokenIDs: given ? eos : [], ignoreEOS: !given)
            do {
                try engine.submit(request) { event in
                    let now = DispatchTime.now().uptimeNanoseconds
                    switch event {
                    case .token:
                        rec.lock.lock(); rec.tokenTimes[i].append(now); rec.outputTokens += 1; rec.lock.unlock()
                    case .scheduled, .promptLogprobs, .embedding: break
                    case .finished, .failed:
                        done.signal()
                        launch()
                    }
                }
            } catch {
                done.signal()
            }
        }
        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0 ..< c { launch() }
        for _ in 0 ..< total { done.wait() }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        let stats = engine.statistics
        let accepted = stats.specDraftTokens == 0 ? "-" : String(format: "%d/%d (%.0f%%) in %d drafts", stats.specAcceptedTokens, stats.specDraftTokens,
                                                                  100 * Double(stats.specAcceptedTokens) / Double(stats.specDraftTokens), stats.specDrafts)
        return rec.row(clients: c, wall: wall, preemptions: stats.preemptions) + " \(accepted) |"
    }
}

/// When each request was sent and each of its tokens arrived (from the engine thread).
private final class Record: @unchecked Sendable {
    let lock = NSLock()
    var next = 0
    var sent: [UInt64]
    var tokenTimes: [[UInt64]]
    var outputTokens = 0
    init(_ n: Int) { sent = Array(repeating: 0, count: n); tokenTimes = Array(repeating: [], count: n) }

    /// The table row: requests, wall time, aggregate rate, per-stream decode rate, TTFT p50/p95, ITL p50, preemptions.
    func row(clients c: Int, wall: Double, preemptions: Int) -> String {
        let ttft = sent.indices.compactMap { i in tokenTimes[i].first.map { Double($0 - sent[i]) / 1e9 } }.sorted()
        let gaps = tokenTimes.flatMap { times in zip(times, times.dropFirst()).map { Double($1 - $0) / 1e9 } }.sorted()
        func pct(_ xs: [Double], _ p: Double) -> Double { xs.isEmpty ? .nan : xs[min(xs.count - 1, Int(Double(xs.count - 1) * p + 0.5))] }
        // A stream's decode rate: tokens after its first over the time from first to last.
        let decoding = tokenTimes.filter { $0.count > 1 }
        let decodeRate = Double(decoding.reduce(0) { $0 + $1.count - 1 }) / (Double(decoding.reduce(0) { $0 + ($1.last! - $1.first!) }) / 1e9)
        return String(format: "| %d | %d | %.1f | %.1f | %.1f | %.2f s | %.2f s | %.1f ms | %d |",
                      c, sent.count, wall, Double(outputTokens) / wall, decodeRate, pct(ttft, 0.5), pct(ttft, 0.95), pct(gaps, 0.5) * 1000, preemptions)
    }
}
