import Foundation

/// One thread that tells responders when their client hangs up, while their responses are
/// being produced: it sleeps in `poll()` over the watched connections, asking only for
/// hang-up (POLLRDHUP; POLLHUP and POLLERR always come), so bytes of a pipelined request
/// waiting to be read never wake it. A pipe wakes it when the set of connections changes.
final class HangupWatcher: @unchecked Sendable {
    private let lock = NSLock()
    /// Connections being watched: fd → what to call once when its peer hangs up.
    private var watched: [Int32: Watch] = [:]
    private var stopped = false
    private var wakeRead: Int32 = -1
    private var wakeWrite: Int32 = -1

    private final class Watch {
        let handler: @Sendable () -> Void
        init(_ handler: @escaping @Sendable () -> Void) { self.handler = handler }
    }

    /// Starts the watching thread.
    func start() throws {
        var fds: [Int32] = [0, 0]  // (read end, write end)
        guard pipe(&fds) == 0 else { throw HTTPServerError.socket("pipe() failed: errno \(errno)") }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        _ = fcntl(wakeWrite, F_SETFL, fcntl(wakeWrite, F_GETFL) | O_NONBLOCK)
        let t = Thread { [self] in loop() }
        t.name = "tern-hangup"
        t.stackSize = 1 << 18
        t.start()
    }

    /// Calls `handler` (once, on the watching thread) if the peer of `fd` hangs up before `unwatch(fd)`.
    func watch(_ fd: Int32, _ handler: @escaping @Sendable () -> Void) {
        lock.lock()
        watched[fd] = Watch(handler)
        wake()
        lock.unlock()
    }

    /// Stops watching `fd`; call before closing it.
    func unwatch(_ fd: Int32) {
        lock.withLock { if watched.removeValue(forKey: fd) != nil { wake() } }
    }

    /// Ends the watching thread.
    func stop() {
        lock.lock()
        stopped = true
        wake()
        lock.unlock()
    }

    /// Wakes the thread out of poll (called with the lock held, so never after the pipe is closed).
    private func wake() {
        guard wakeWrite >= 0 else { return }
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWrite, &byte, 1)
    }

    private func loop() {
        var drain = [UInt8](repeating: 0, count: 64)
        while true {
            lock.lock()
            if stopped {
                close(wakeRead)
                close(wakeWrite)
                wakeWrite = -1
                lock.unlock()
                return
            }
            let snapshot = watched.map { ($0.key, $0.value) }
            lock.unlock()
            // (1 + snapshot.count): the wake pipe, then one entry per watched connection.
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            fds += snapshot.map { pollfd(fd: $0.0, events: Int16(0x2000 /* POLLRDHUP */), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), -1) > 0 else { continue }
            if fds[0].revents != 0 { _ = Glibc.read(wakeRead, &drain, drain.count) }
            for (i, (fd, watch)) in snapshot.enumerated() where fds[i + 1].revents != 0 {
                lock.lock()
                // Still the same request on this fd, and really gone (not a reused descriptor).
                let current = watched[fd] === watch && Socket.peerClosed(fd)
                if current { watched[fd] = nil }
                lock.unlock()
                if current { watch.handler() }
            }
        }
    }
}
