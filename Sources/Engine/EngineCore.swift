import Foundation
import Kernels
import Models

/// The engine loop on its own thread, asleep when idle, and the thread-safe client face:
/// `submit` queues a request and delivers its events to a callback (on the engine thread:
/// callers hop elsewhere for any real work); `abort` ends a request wherever it is.
public final class EngineCore: @unchecked Sendable {
    public let config: SchedulerConfig
    private let scheduler: Scheduler
    private let runner: ModelRunner
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var inbox: [(EngineRequest, @Sendable (Int, EngineEvent) -> Void)] = []
    private var aborts: [String] = []
    private var stopping = false
    private var abortEverything = false
    private var snapshot = EngineStats()
    // Engine thread only:
    private var sinks: [String: @Sendable (EngineEvent) -> Void] = [:]
    /// Requests that have not yet been scheduled once.
    private var notStarted: Set<String> = []
    private var stats = EngineStats()
    private var thread: Thread?

    public init(model: any LanguageModel, config: SchedulerConfig, pool: ComputePool) {
        self.config = config
        scheduler = Scheduler(config: config)
        runner = ModelRunner(model: model, numBlocks: config.numBlocks, blockSize: config.blockSize, pool: pool)
        stats.numBlocks = config.numBlocks
        snapshot = stats
        let t = Thread { [weak self] in self?.loop() }
        t.name = "tern-engine"
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    /// Queues `request`; throws at once if it can never run. With `n > 1` every sample's
    /// events arrive here too, tagged with the sample's index.
    public func submit(_ request: EngineRequest, onChoiceEvent: @escaping @Sendable (Int, EngineEvent) -> Void) throws {
        try Scheduler.check(request, config: config)
        condition.lock()
        inbox.append((request, onChoiceEvent))
        condition.signal()
        condition.unlock()
    }

    /// Queues a single-sample request.
    public func submit(_ request: EngineRequest, onEvent: @escaping @Sendable (EngineEvent) -> Void) throws {
        try submit(request) { _, e in onEvent(e) }
    }

    /// The same as a stream of events that ends after `.finished` or `.failed`.
    public func submit(_ request: EngineRequest) throws -> AsyncStream<EngineEvent> {
        let (stream, continuation) = AsyncStream<EngineEvent>.makeStream()
        try submit(request) { event in
            continuation.yield(event)
            switch event {
            case .scheduled, .token, .promptLogprobs: return
            case .finished, .failed: continuation.finish()
            }
        }
        return stream
    }

    public func abort(_ requestID: String) {
        condition.lock()
        aborts.append(requestID)
        condition.signal()
        condition.unlock()
    }

    /// Aborts every request in the engine (queued or running), e.g. at a shutdown deadline.
    public func abortAll() {
        condition.lock()
        abortEverything = true
        condition.signal()
        condition.unlock()
    }

    public var statistics: EngineStats {
        condition.lock()
        defer { condition.unlock() }
        return snapshot
    }

    /// Stops the loop after the current step; pending requests are dropped.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while inbox.isEmpty && aborts.isEmpty && !scheduler.hasWork && !stopping { condition.wait() }
            if stopping { condition.unlock(); return }
            let newRequests = inbox
            var newAborts = aborts
            inbox = []
            aborts = []
            let everything = abortEverything
            abortEverything = false
            condition.unlock()

            for (request, sink) in newRequests {
                do {
                    try scheduler.add(request)
                    for i in 0 ..< request.n {
                        let id = EngineRequest.childID(request.requestID, i)
                        sinks[id] = { sink(i, $0) }
                        notStarted.insert(id)
                    }
                } catch {
                    for i in 0 ..< request.n { sink(i, .failed("\(error)")) }
                }
            }
            if everything { newAborts += (scheduler.running + scheduler.waiting).map(\.requestID) }
            for id in newAborts { if let e = scheduler.abort(id) { deliver(e) } }
            if scheduler.hasWork { step() }
            publish()
        }
    }

    private func step() {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let out = scheduler.schedule()
        stats.preemptions += out.preempted.count
        for item in out.scheduled where notStarted.remove(item.requestID) != nil { sinks[item.requestID]?(.scheduled) }
        let sampled: [String: Int32]
        do {
            sampled = try runner.execute(out, scheduler: scheduler)
        } catch {
            // A forward that fails is a bug or corrupt input: fail the step's requests, keep serving.
            for item in out.scheduled {
                if scheduler.abort(item.requestID) != nil, let sink = sinks.removeValue(forKey: item.requestID) {
                    sink(.failed("\(error)"))
                }
            }
            return
        }
        for (id, p) in runner.lastPromptLogprobs { sinks[id]?(.promptLogprobs(first: p.first, p.entries)) }
        for e in scheduler.update(out, sampled: sampled) { deliver(e) }
        let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        stats.steps += 1
        stats.stepSeconds += dt
        stats.lastStepSeconds = dt
    }

    private func deliver(_ e: SchedulerEvent) {
        switch e {
        case .token(let id, let t):
            stats.generationTokens += 1
            sinks[id]?(.token(t, runner.lastLogprobs[id]))
        case .finished(let id, let status, let prompt, let completion):
            runner.release(id)
            notStarted.remove(id)
            // A prompt counts once its prefill completed (not when aborted mid-prefill).
            if completion > 0 { stats.promptTokens += prompt }
            stats.finishedByReason[status.finishReason ?? "unknown", default: 0] += 1
            sinks.removeValue(forKey: id)?(.finished(reason: status.finishReason ?? "abort", promptTokens: prompt, completionTokens: completion))
            // Samples of an n > 1 request that ended before its prompt completed never forked
            // (never scheduled): end them too.
            var i = 1
            while case let child = EngineRequest.childID(id, i), notStarted.remove(child) != nil {
                sinks.removeValue(forKey: child)?(.finished(reason: status.finishReason ?? "abort", promptTokens: 0, completionTokens: 0))
                i += 1
            }
        }
    }

    private func publish() {
        stats.numRunning = scheduler.running.count
        stats.numWaiting = scheduler.waiting.count
        stats.numUsedBlocks = scheduler.pool.numUsedBlocks
        stats.prefixCacheQueries = scheduler.pool.prefixQueries * config.blockSize
        stats.prefixCacheHits = scheduler.pool.prefixHits * config.blockSize
        condition.lock()
        snapshot = stats
        condition.unlock()
    }
}
