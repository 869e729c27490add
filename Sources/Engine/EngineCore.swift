import Foundation
import Kernels
import Models

/// The engine loop on its own thread, asleep when idle, and the thread-safe client face:
/// `submit` queues a request and delivers its events to a callback (on the engine thread:
/// callers hop elsewhere for any real work); `abort` ends a request wherever it is.
public final class EngineCore: @unchecked Sendable {
    public let config: SchedulerConfig
    /// How the model's embeddings pool (nil: it cannot embed), and whether it generates tokens.
    public let pooling: Pooling?
    public let generates: Bool
    /// Width of the model's embeddings (its hidden states).
    public let embeddingWidth: Int
    private let scheduler: Scheduler
    private let runner: ModelRunner
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var inbox: [(EngineRequest, @Sendable (Int, EngineEvent) -> Void)] = []
    private var aborts: [SequenceID] = []
    private var stopping = false
    private var abortEverything = false
    private var snapshot = EngineStats()
    // Engine thread only:
    /// Per request: where its samples' events go, and how many samples are still open.
    private var sinks: [String: (send: @Sendable (Int, EngineEvent) -> Void, open: Int)] = [:]
    private var stats = EngineStats()
    private var thread: Thread?

    /// An engine over `model`; `config.numBlocks` counts blocks of the model's KV layout, whose
    /// groups the engine sets in the config. With `config.speculative` of method `draft`,
    /// `draftModel` guesses (see `SpeculativeConfig.check`).
    public init(model: any LanguageModel, pool: ComputePool, config: SchedulerConfig, draftModel: (any LanguageModel)? = nil) {
        var config = config
        config.kvGroups = model.kvLayout.groups
        if !model.generates {
            // An encoder computes each prompt whole in one step: the step must hold the longest.
            config.chunkedPrefill = false
            config.maxNumBatchedTokens = max(config.maxNumBatchedTokens, config.maxModelLen)
        }
        self.config = config
        (pooling, generates, embeddingWidth) = (model.pooling, model.generates, model.config.embeddingLength)
        scheduler = Scheduler(config: config)
        runner = ModelRunner(model: model, numBlocks: config.numBlocks, blockSize: config.blockSize, pool: pool,
                             kvCacheDType: config.kvCacheDType, speculative: config.speculative, draftModel: draftModel)
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
        wake { inbox.append((request, onChoiceEvent)) }
    }

    /// Queues a single-sample request.
    public func submit(_ request: EngineRequest, onEvent: @escaping @Sendable (EngineEvent) -> Void) throws {
        try submit(request) { _, e in onEvent(e) }
    }

    /// Ends one sample of a request (all of them: call it for each index).
    public func abort(_ id: SequenceID) { wake { aborts.append(id) } }

    /// Aborts every request in the engine (queued or running), e.g. at a shutdown deadline.
    public func abortAll() { wake { abortEverything = true } }

    /// Stops the loop after the current step; pending requests are dropped.
    public func shutdown() { wake { stopping = true } }

    /// Changes what the loop waits on, and wakes it.
    private func wake(_ change: () -> Void) {
        condition.lock()
        change()
        condition.signal()
        condition.unlock()
    }

    public var statistics: EngineStats {
        condition.lock()
        defer { condition.unlock() }
        return snapshot
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
                    sinks[request.requestID] = (sink, request.n)
                } catch {
                    for i in 0 ..< request.n { sink(i, .failed("\(error)")) }
                }
            }
            if everything { scheduler.abortAll().forEach(deliver) }
            for id in newAborts { scheduler.abort(id).forEach(deliver) }
            if scheduler.hasWork { step() }
            publish()
        }
    }

    private func step() {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let out = scheduler.schedule()
        stats.preemptions += out.preempted.count
        for item in out.scheduled where item.newRequest != nil { sinks[item.id.requestID]?.send(item.id.index, .scheduled) }
        let result: RunnerOutput
        do {
            result = try runner.execute(out)
        } catch {
            // A forward that fails is a bug or corrupt input: fail the step's requests, keep serving.
            for item in out.scheduled {
                for e in scheduler.abort(item.id) { deliver(SequenceEvent(id: e.id, event: .failed("\(error)"))) }
            }
            return
        }
        for item in out.scheduled {
            guard let draft = item.sample?.draft, !draft.isEmpty else { continue }
            stats.countSpeculation(draft: draft.count, accepted: Scheduler.acceptedCount(draft, result.rows[item.id]?.tokens ?? []))
        }
        scheduler.update(out, result).forEach(deliver)
        stats.maskedRows += result.maskedRows
        stats.maskSeconds += Double(result.maskNanos) / 1e9
        let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        stats.steps += 1
        stats.stepSeconds += dt
        stats.lastStepSeconds = dt
    }

    /// Hands an event to its request's sink; a sample's last event closes it.
    private func deliver(_ e: SequenceEvent) {
        let r = e.id.requestID
        guard let sink = sinks[r] else { return }
        switch e.event {
        case .token:
            stats.generationTokens += 1
        case .finished(let reason, let prompt, let completion):
            // A prompt counts once its prefill completed (not when aborted mid-prefill).
            if completion > 0 || reason == .stop { stats.promptTokens += prompt }
            stats.finishedByReason[reason, default: 0] += 1
        case .scheduled, .promptLogprobs, .embedding, .failed:
            break
        }
        sink.send(e.id.index, e.event)
        switch e.event {
        case .finished, .failed:
            if sink.open <= 1 { sinks[r] = nil } else { sinks[r]?.open -= 1 }
        default:
            break
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
