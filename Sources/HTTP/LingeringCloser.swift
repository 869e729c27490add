import Foundation

/// Closes connections the server ends itself so their clients read the last response instead
/// of a reset: closing a socket with unread bytes makes the kernel send RST, which can discard
/// a response the client has not read yet. Each connection's write side is shut down (FIN
/// after the response), then one thread reads and discards what still arrives until the
/// client closes or `seconds` pass, and only then closes it.
final class LingeringCloser: @unchecked Sendable {
    private let seconds: Double
    private let maxConnections: Int
    private let lock = NSCondition()
    /// fd → when to close it regardless.
    private var lingering: [Int32: Double] = [:]
    private var stopped = false

    init(seconds: Double = 2, maxConnections: Int = 1024) {
        self.seconds = seconds
        self.maxConnections = maxConnections
    }

    func start() {
        let t = Thread { [self] in loop() }
        t.name = "tern-linger"
        t.stackSize = 1 << 18
        t.start()
    }

    /// Takes `fd` over: shuts its write side and closes it once the client is done (or at once if
    /// too many are lingering).
    func close(_ fd: Int32) {
        _ = shutdown(fd, Int32(SHUT_WR))
        let taken = lock.withLock {
            guard !stopped, lingering.count < maxConnections else { return false }
            lingering[fd] = Self.now + seconds
            lock.signal()
            return true
        }
        if !taken { Glibc.close(fd) }
    }

    /// Closes whatever still lingers and ends the thread.
    func stop() { lock.withLock { stopped = true; lock.signal() } }

    private static var now: Double { ProcessInfo.processInfo.systemUptime }

    private func loop() {
        var scratch = [UInt8](repeating: 0, count: 16384)  // (bytes discarded per read)
        while true {
            let (snapshot, stop) = lock.withLock {
                while lingering.isEmpty && !stopped { lock.wait() }
                return (lingering.map { ($0.key, $0.value) }, stopped)
            }
            // New connections are picked up within the poll's 100 ms.
            var fds = snapshot.map { pollfd(fd: $0.0, events: Int16(POLLIN), revents: 0) }  // (snapshot.count)
            if !stop { _ = poll(&fds, nfds_t(fds.count), 100) }
            let now = Self.now
            var done: [Int32] = []
            for (i, (fd, until)) in snapshot.enumerated() {
                var finished = stop || now >= until
                if !finished && fds[i].revents != 0 {
                    let n = recv(fd, &scratch, scratch.count, Int32(MSG_DONTWAIT))
                    finished = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)
                }
                if finished { done.append(fd) }
            }
            lock.withLock { for fd in done { lingering[fd] = nil } }
            for fd in done { Glibc.close(fd) }
            if stop { return }
        }
    }
}
