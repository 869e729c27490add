import CKernels
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// This machine's memory read bandwidth with the pool's threads: what single-stream decode,
/// which reads every weight once per token, can at best use (`tern bench` reports decode as
/// a share of it).
public enum ReadBandwidth {
    /// Bytes per second of the fastest of `repetitions` parallel reads of a `bytes` buffer
    /// (far larger than the caches; its pages are touched first, and freed after).
    public static func measure(pool: ComputePool, bytes: Int = 512 << 20, repetitions: Int = 5) -> Double {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 2 << 20)  // (bytes)
        defer { buffer.deallocate() }
        #if canImport(Glibc)
        _ = madvise(buffer, bytes, MADV_HUGEPAGE)  // on 2 MB pages, as the packed weights are
        #endif
        buffer.initializeMemory(as: UInt8.self, repeating: 1, count: bytes)
        let tasks = pool.threadCount, slice = bytes / tasks / 4096 * 4096
        let sink = UnsafeMutablePointer<UInt64>.allocate(capacity: tasks)  // (tasks) keeps the reads alive
        defer { sink.deallocate() }
        var best = UInt64.max
        for _ in 0 ..< repetitions {
            let t0 = DispatchTime.now().uptimeNanoseconds
            pool.run(tasks: tasks) { t in sink[t] = tern_read_bytes(buffer + t * slice, slice) }
            best = min(best, DispatchTime.now().uptimeNanoseconds - t0)
        }
        return Double(slice * tasks) / (Double(max(best, 1)) / 1e9)
    }
}
