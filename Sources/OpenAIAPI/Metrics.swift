import Engine
import Foundation

/// Prometheus text exposition under the names vLLM users chart (`vllm:` prefix), plus
/// Tern's own block counts. Latency histograms are observed by the front end; gauges and
/// token counters come from the engine's statistics snapshot.
final class Metrics: @unchecked Sendable {
    struct Histogram {
        let buckets: [Double]
        var counts: [Int]
        var sum = 0.0
        var count = 0
        init(_ buckets: [Double]) { self.buckets = buckets; counts = Array(repeating: 0, count: buckets.count) }
        mutating func observe(_ v: Double) {
            for (i, b) in buckets.enumerated() where v <= b { counts[i] += 1 }
            sum += v
            count += 1
        }
    }

    private let lock = NSLock()
    private let label: String
    private var ttft = Histogram([0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560])
    private var itl = Histogram([0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80])
    private var queueTime = Histogram([0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680])
    private var e2e = Histogram([0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680])
    private var finished: [String: Int] = ["stop": 0, "length": 0, "abort": 0]

    init(modelName: String) {
        label = "model_name=\"\(modelName.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\""
    }

    func observeTTFT(_ s: Double) { lock.lock(); ttft.observe(s); lock.unlock() }
    func observeITL(_ s: Double) { lock.lock(); itl.observe(s); lock.unlock() }
    func observeQueueTime(_ s: Double) { lock.lock(); queueTime.observe(s); lock.unlock() }
    func observeE2E(_ s: Double) { lock.lock(); e2e.observe(s); lock.unlock() }
    func countFinished(_ reason: String) { lock.lock(); finished[reason, default: 0] += 1; lock.unlock() }

    func render(_ stats: EngineStats) -> String {
        lock.lock()
        defer { lock.unlock() }
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ value: Double) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name){\(label)} \(format(value))\n"
        }
        metric("vllm:num_requests_running", "gauge", "Requests in the running batch.", Double(stats.numRunning))
        metric("vllm:num_requests_waiting", "gauge", "Requests waiting to be scheduled.", Double(stats.numWaiting))
        metric("vllm:kv_cache_usage_perc", "gauge", "Fraction of KV-cache blocks in use (1 = full).", stats.kvCacheUsage)
        metric("vllm:gpu_cache_usage_perc", "gauge", "Same as vllm:kv_cache_usage_perc (older name).", stats.kvCacheUsage)
        metric("tern:kv_cache_used_blocks", "gauge", "KV-cache blocks referenced by requests.", Double(stats.numUsedBlocks))
        metric("tern:kv_cache_blocks", "gauge", "KV-cache blocks in the pool.", Double(stats.numBlocks))
        metric("vllm:prefix_cache_queries_total", "counter", "Prompt tokens looked up in the prefix cache.", Double(stats.prefixCacheQueries))
        metric("vllm:prefix_cache_hits_total", "counter", "Prompt tokens found in the prefix cache.", Double(stats.prefixCacheHits))
        metric("vllm:prompt_tokens_total", "counter", "Prompt tokens processed.", Double(stats.promptTokens))
        metric("vllm:generation_tokens_total", "counter", "Tokens generated.", Double(stats.generationTokens))
        metric("vllm:num_preemptions_total", "counter", "Requests preempted (recomputed later).", Double(stats.preemptions))
        metric("tern:grammar_masked_rows_total", "counter", "Sampled rows whose logits a grammar masked.", Double(stats.maskedRows))
        metric("tern:grammar_mask_seconds_total", "counter", "Time computing and applying grammar masks (divide by rows: per row per step).",
               stats.maskSeconds)
        metric("vllm:spec_decode_num_drafts_total", "counter", "Rows that verified guessed tokens (speculative decoding).", Double(stats.specDrafts))
        metric("vllm:spec_decode_num_draft_tokens_total", "counter", "Guessed tokens verified.", Double(stats.specDraftTokens))
        metric("vllm:spec_decode_num_accepted_tokens_total", "counter", "Guessed tokens accepted.", Double(stats.specAcceptedTokens))
        out += "# HELP vllm:spec_decode_num_accepted_tokens_per_pos_total Guessed tokens accepted, by position in their row.\n"
        out += "# TYPE vllm:spec_decode_num_accepted_tokens_per_pos_total counter\n"
        for (p, n) in stats.specAcceptedPerPosition.enumerated() {
            out += "vllm:spec_decode_num_accepted_tokens_per_pos_total{\(label),position=\"\(p)\"} \(n)\n"
        }
        out += "# HELP vllm:request_success_total Finished requests by finish reason.\n# TYPE vllm:request_success_total counter\n"
        for (reason, n) in finished.sorted(by: { $0.key < $1.key }) {
            out += "vllm:request_success_total{\(label),finished_reason=\"\(reason)\"} \(n)\n"
        }
        func histogram(_ name: String, _ help: String, _ h: Histogram) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
            for (b, c) in zip(h.buckets, h.counts) { out += "\(name)_bucket{\(label),le=\"\(format(b))\"} \(c)\n" }
            out += "\(name)_bucket{\(label),le=\"+Inf\"} \(h.count)\n\(name)_sum{\(label)} \(format(h.sum))\n\(name)_count{\(label)} \(h.count)\n"
        }
        histogram("vllm:time_to_first_token_seconds", "Time from arrival to the first generated token.", ttft)
        histogram("vllm:inter_token_latency_seconds", "Time between consecutive generated tokens of a request.", itl)
        histogram("vllm:request_queue_time_seconds", "Time from arrival to the first scheduled step.", queueTime)
        histogram("vllm:e2e_request_latency_seconds", "Time from arrival to the finish.", e2e)
        return out
    }

    private func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) + (v == 0 || abs(v) >= 1 ? ".0" : "") : String(v)
    }
}
