import Dispatch
import Foundation

/// Appends downloaded bytes to a partial blob file. The network thread only copies into
/// 4 MiB buffers; a second thread hashes (SHA-256) and writes each full buffer, so checking
/// the download costs no time on the receiving side. Three buffers circulate.
final class BlobWriter: @unchecked Sendable {  // `lock` guards `spare` and `failure`
    private let fd: Int32
    private let path: String
    private var hasher: SHA256?
    private let capacity = 4 << 20
    private let queue = DispatchQueue(label: "tern.hub.blob-writer")
    private let lock = NSLock()
    private let available = DispatchSemaphore(value: 2)  // spare buffers
    private let buffers: [UnsafeMutableRawPointer]  // 3 × [capacity] bytes
    private var spare = [1, 2]  // indices into `buffers`
    private var current = 0  // the buffer being filled, `count` bytes so far
    private var count = 0
    private var failure: Error?

    init(fd: Int32, path: String, hasher: SHA256?) {
        self.fd = fd
        self.path = path
        self.hasher = hasher
        buffers = (0..<3).map { _ in UnsafeMutableRawPointer.allocate(byteCount: 4 << 20, alignment: 64) }
    }

    deinit {
        queue.sync {}
        for buffer in buffers { buffer.deallocate() }
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
        queue.sync {}
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else {
            throw HubError.io(path: path, message: String(cString: strerror(errno)))
        }
        if hasher != nil { hasher = try SHA256() }
    }

    /// The SHA-256 of everything written (flushes first).
    func digest() throws -> String? {
        try flush()
        return hasher?.hexDigest()
    }

    /// Hands the current buffer to the writer thread and takes a spare one.
    private func submit() throws {
        let index = current, size = count
        queue.async { [self] in
            if lock.withLock({ failure == nil }) {
                let bytes = UnsafeRawBufferPointer(start: buffers[index], count: size)
                hasher?.update(bytes)
                do { try write(bytes) } catch { lock.withLock { failure = error } }
            }
            lock.withLock { spare.append(index) }
            available.signal()
        }
        available.wait()
        current = lock.withLock { spare.removeLast() }
        count = 0
        try lock.withLock { if let failure { throw failure } }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, base + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw HubError.io(path: path, message: "write failed: \(String(cString: strerror(errno)))") }
            done += n
        }
    }
}
