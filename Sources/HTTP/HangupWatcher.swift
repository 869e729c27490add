import Foundation

/// One thread that tells responders when their client is gone, while their responses are
/// being produced: it sleeps in `poll()` over the watched connections. A client that only
/// shut down its write side (end of stream, POLLRDHUP) may still read its answer, and looks
/// on the wire exactly like one that closed its socket: when a connection reads end of stream,
/// `onReadClosed` is called (the responder probes with an interim response), and again every
/// second while the response has not begun (a half-closed client that closes later sends
/// nothing more); only a reset or error (POLLHUP, POLLERR) counts as gone. Bytes of a
/// pipelined request waiting to be read never wake it. A pipe wakes it when the set of
/// connections changes.
final class HangupWatcher: @unchecked Sendable {
    private let lock = NSLock()
    /// Connections being watched: fd → what to call when its peer half-closes or leaves.
    private var watched: [Int32: Watch] = [:]
    private var stopped = false
    private var wakeRead: Int32 = -1
    private var wakeWrite: Int32 = -1

    private final class Watch {
        let onGone: @Sendable () -> Void
        let onReadClosed: @Sendable () -> Bool
        /// When end of stream was last probed; nil before end of stream (only used on the watching thread).
        var probed: Double? = nil
        init(_ onGone: @escaping @Sendable () -> Void, _ onReadClosed: @escaping @Sendable () -> Bool) {
            self.onGone = onGone
            self.onReadClosed = onReadClosed
        }
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

    /// Calls `onGone` (once, on the watching thread) if the peer of `fd` resets or fails before
    /// `unwatch(fd)`; `onReadClosed` when it shuts down its write side, then every second (if
    /// that returns false, end of stream is taken for gone).
    func watch(_ fd: Int32, onGone: @escaping @Sendable () -> Void, onReadClosed: @escaping @Sendable () -> Bool) {
        lock.lock()
        watched[fd] = Watch(onGone, onReadClosed)
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
        let rdhup = Int16(0x2000 /* POLLRDHUP */), gone = Int16(POLLHUP) | Int16(POLLERR)
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
            fds += snapshot.map { pollfd(fd: $0.0, events: $0.1.probed == nil ? rdhup : 0, revents: 0) }
            let probing = snapshot.contains { $0.1.probed != nil }
            if poll(&fds, nfds_t(fds.count), probing ? 250 : -1) < 0 { continue }
            if fds[0].revents != 0 { _ = Glibc.read(wakeRead, &drain, drain.count) }
            let now = ProcessInfo.processInfo.systemUptime
            for (i, (fd, watch)) in snapshot.enumerated() {
                let revents = fds[i + 1].revents
                if revents == 0 {
                    if let p = watch.probed, now - p >= 1, lock.withLock({ watched[fd] === watch }) {
                        watch.probed = now
                        _ = watch.onReadClosed()
                    }
                    continue
                }
                lock.lock()
                // Still the same request on this fd (not a reused descriptor).
                let current = watched[fd] === watch
                let isGone = current && revents & gone != 0 && Socket.peerGone(fd)
                if isGone { watched[fd] = nil }
                lock.unlock()
                if isGone {
                    watch.onGone()
                } else if current && revents & rdhup != 0 && watch.probed == nil {
                    watch.probed = now
                    if !watch.onReadClosed(), lock.withLock({ watched.removeValue(forKey: fd) === watch }) { watch.onGone() }
                }
            }
        }
    }
}
