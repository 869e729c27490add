/// The scheduler's second half of a step: folding the runner's results back into the
/// requests, and ending requests.
extension Scheduler {
    /// Applies a step's results: the computed tokens count, prompt logprobs and sampled tokens
    /// become events, in the order of `output.scheduled`, followed by any finishes.
    public func update(_ output: SchedulerOutput, _ result: RunnerOutput) -> [SequenceEvent] {
        var events: [SequenceEvent] = []
        for item in output.scheduled {
            guard let s = byID[item.id], s.status == .running else { continue }
            let row = result.rows[item.id] ?? RowResult()
            // Of the guesses verified, those drawn equal are computed tokens; the K/V of the
            // others is dropped (overwritten later; `trimBlocks` frees whole blocks of it).
            let draft = item.sample?.draft ?? []
            let accepted = Self.acceptedCount(draft, row.tokens)
            s.numComputedTokens += item.tokenIDs.count - draft.count + accepted
            if let k = config.speculative?.numSpeculativeTokens, !draft.isEmpty {
                let limit = s.guessLimit > 0 ? s.guessLimit : k
                s.guessLimit = accepted == draft.count ? min(k, limit + 2) : accepted + 1
            }
            registerFullBlocks(s, pending: row.tokens.prefix(accepted))
            releasePassed(s)
            if let spec = item.promptLogprobs, row.promptLogprobs.count == spec.targets.count {
                s.nextPromptLogprob = spec.firstToken + spec.targets.count
                events.append(SequenceEvent(id: s.id, event: .promptLogprobs(first: spec.firstToken, row.promptLogprobs)))
            }
            if let pool = item.pool {
                // An embedding request ends with its prompt: its vector, then its blocks go back.
                guard pool.completesPrompt else { continue }
                if let vector = row.embedding { events.append(SequenceEvent(id: s.id, event: .embedding(vector))) }
                events += finish(s, row.embedding == nil ? .finishedAborted : .finishedStopped)
                continue
            }
            guard item.needsSample else { continue }
            for (j, token) in row.tokens.enumerated() {
                s.outputTokenIDs.append(token)
                let logprobs = j < row.logprobs.count ? row.logprobs[j] : nil
                events.append(SequenceEvent(id: s.id, event: .token(token, logprobs)))
                let complete = row.ended && j == row.tokens.count - 1
                if let status = complete ? RequestStatus.finishedStopped : stopStatus(s, after: token) {
                    events += finish(s, status)
                    break
                }
            }
            if s.status == .running {
                s.draftTokenIDs = row.drafts
                trimBlocks(s)
            }
        }
        return events
    }

    /// How many leading guesses the draws equal.
    public static func acceptedCount(_ draft: [Int32], _ drawn: [Int32]) -> Int {
        zip(draft, drawn).prefix { $0 == $1 }.count
    }

    /// Whether `token` ends `s`, and how.
    private func stopStatus(_ s: RequestState, after token: Int32) -> RequestStatus? {
        let r = s.request
        if r.stopTokenIDs.contains(token) || (!r.ignoreEOS && r.eosTokenIDs.contains(token)) { return .finishedStopped }
        if s.outputTokenIDs.count >= r.maxTokens || s.numTokens >= config.maxModelLen { return .finishedLength }
        return nil
    }

    /// Registers the request's newly full, computed blocks in the prefix cache (`pending`:
    /// computed tokens not yet appended to its output).
    private func registerFullBlocks(_ s: RequestState, pending: ArraySlice<Int32>) {
        let full = min(s.numComputedTokens / config.blockSize, s.numBlocks)
        guard full > s.numRegisteredBlocks else { return }
        let tokens = s.allTokenIDs + pending
        while s.blockHashes.count < full {
            let b = s.blockHashes.count
            let parent = s.blockHashes.last ?? 0
            s.blockHashes.append(BlockPool.hash(parent: parent, tokens: tokens[b * config.blockSize ..< (b + 1) * config.blockSize]))
        }
        for b in s.numRegisteredBlocks ..< full {
            for (t, table) in s.blockTables.enumerated() where table[b] >= 0 {
                pool.register(table[b], hash: BlockPool.tableHash(s.blockHashes[b], table: t))
            }
        }
        s.numRegisteredBlocks = full
    }

    /// Ends `s`; samples it was still to fork (its prompt never completed) end with it.
    private func finish(_ s: RequestState, _ status: RequestStatus) -> [SequenceEvent] {
        s.status = status
        release(s)
        running.removeAll { $0 === s }
        waiting.removeAll { $0 === s }
        byID[s.id] = nil
        finishedSinceLastStep.append(s.id)
        let reason = status.finishReason ?? .abort
        var events = [SequenceEvent(id: s.id, event: .finished(reason: reason, promptTokens: s.isFork ? 0 : s.numPromptTokens,
                                                               completionTokens: s.outputTokenIDs.count))]
        if s.pendingForks > 0 {
            for i in 1 ... s.pendingForks {
                events.append(SequenceEvent(id: SequenceID(s.id.requestID, i),
                                            event: .finished(reason: reason, promptTokens: 0, completionTokens: 0)))
            }
            s.pendingForks = 0
        }
        return events
    }

    /// Ends a sequence wherever it is (queued, mid-prefill, decoding) and frees its blocks;
    /// ending sample 0 before its prompt completed ends the samples it was to fork too.
    public func abort(_ id: SequenceID) -> [SequenceEvent] {
        byID[id].map { finish($0, .finishedAborted) } ?? []
    }

    /// Ends every request in the scheduler.
    public func abortAll() -> [SequenceEvent] {
        (running + waiting).flatMap { finish($0, .finishedAborted) }
    }
}
