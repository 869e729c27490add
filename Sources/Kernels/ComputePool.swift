import CKernels

/// The threads that kernels split their work across: `threadCount - 1` workers plus the
/// calling thread. OpenBLAS is kept single-threaded (see `BLAS.configure`) so that this pool
/// is the only source of parallelism and the two never oversubscribe the cores.
public final class ComputePool: @unchecked Sendable {
    public let threadCount: Int
    private let pool: OpaquePointer?

    public init(threadCount: Int) {
        tern_init()
        BLAS.configure()
        pool = tern_pool_create(Int32(max(1, threadCount)))
        self.threadCount = Int(tern_pool_size(pool))
    }

    deinit { tern_pool_destroy(pool) }

    private final class Job {
        let body: (Int) -> Void
        init(_ body: @escaping (Int) -> Void) { self.body = body }
    }

    /// Runs `body(t)` for every t in 0..<tasks across the pool; returns when all have finished.
    public func run(tasks: Int, _ body: @escaping (Int) -> Void) {
        guard tasks > 0 else { return }
        if tasks == 1 || threadCount == 1 {
            for t in 0 ..< tasks { body(t) }
            return
        }
        let job = Job(body)
        withExtendedLifetime(job) {
            tern_pool_run(pool, { ctx, t in
                Unmanaged<Job>.fromOpaque(ctx!).takeUnretainedValue().body(Int(t))
            }, Unmanaged.passUnretained(job).toOpaque(), Int32(tasks))
        }
    }

    /// Splits 0..<count into about `chunksPerThread * threadCount` contiguous ranges of at
    /// least `minChunk` elements and runs `body` on each range.
    public func parallelRanges(_ count: Int, minChunk: Int = 1, chunksPerThread: Int = 4,
                               _ body: @escaping (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let wanted = max(1, min(threadCount * chunksPerThread, count / max(1, minChunk)))
        let chunk = (count + wanted - 1) / wanted
        let n = (count + chunk - 1) / chunk
        run(tasks: n) { t in body(t * chunk ..< min(count, (t + 1) * chunk)) }
    }
}
