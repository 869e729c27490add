import Dispatch
import Foundation

/// Appends downloaded bytes to a partial blob file. The network thread only copies into
/// 4 MiB buffers; a second thread hashes (SHA-256) and writes each full buffer, so checking
/// the download costs no time on the receiving side. Three buffers circulate in turn: the
/// writer thread frees them in the order they were submitted.
final class BlobWriter: @unchecked Sendable {  // `lock` guards `failure`
    private let fd: Int32
    private let path: String
    private var hasher: SHA256?
    /// What the file held before this download: where it resumes (0 after `restart`).
    private(set) var start: Int64
    private let capacity = 4 << 20
    private let queue = DispatchQueue(label: "tern.hub.blob-writer")
    private let lock = NSLock()
    private let available = DispatchSemaphore(value: 2)  // buffers neither being filled nor waiting to be written
    private let buffers: [UnsafeMutableRawPointer]  // 3 × [capacity] bytes
    private var current = 0  // the buffer being filled, `count` bytes so far
    private var count = 0
    private var failure: Error?

    /// Opens (or creates) the partial file at `path` to append to it; one longer than `size`
    /// is not ours and is emptied. With `hashing`, the bytes already there are hashed first.
    init(path: String, size: Int64?, hashing: Bool) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw HubError.system(path: path) }
        self.path = path
        start = Int64(lseek(fd, 0, SEEK_END))
        buffers = (0..<3).map { _ in UnsafeMutableRawPointer.allocate(byteCount: 4 << 20, alignment: 64) }
        if let size, start > size { try restart() }
        if hashing { hasher = try SHA256() }
        if let hasher, start > 0 { try hasher.update(file: path) }
    }

    deinit {
        queue.sync {}
        for buffer in buffers { buffer.deallocate() }
        close(fd)
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard var source = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = min(left, capacity - count)
            (buffers[current] + count).copyMemory(from: source, byteCount: n)
            count += n
            source += n
            left -= n
            if count == capacity { try submit() }
        }
    }

    /// Waits until every byte appended so far is hashed and written.
    func flush() throws {
        if count > 0 { try submit() }
        queue.sync {}
        try lock.withLock { if let failure { throw failure } }
    }

    /// Empties the file (the server sent the whole body instead of the asked range).
    func restart() throws {
        count = 0
        start = 0
        queue.sync {}
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else { throw HubError.system(path: path) }
        if hasher != nil { hasher = try SHA256() }
    }

    /// The SHA-256 of everything written (flushes first).
    func digest() throws -> String? {
        try flush()
        return hasher?.hexDigest()
    }

    /// Hands the current buffer to the writer thread and takes the next one.
    private func submit() throws {
        let index = current, size = count
        queue.async { [self] in
            if lock.withLock({ failure == nil }) {
                let bytes = UnsafeRawBufferPointer(start: buffers[index], count: size)
                hasher?.update(bytes)
                do { try write(bytes) } catch { lock.withLock { failure = error } }
            }
            available.signal()
        }
        available.wait()
        current = (current + 1) % buffers.count
        count = 0
        try lock.withLock { if let failure { throw failure } }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, base + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw HubError.system(path: path, "write failed: ") }
            done += n
        }
    }
}
