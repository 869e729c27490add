#if canImport(Glibc)
import Glibc
#endif

/// Thin POSIX socket helpers: everything that touches a file descriptor lives here.
enum Socket {
    /// A listening TCP socket on host:port (IPv4 dotted quad or "localhost").
    static func listen(host: String, port: Int, backlog: Int32 = 256) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError.socket("socket() failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let name = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, name, &addr.sin_addr) == 1 else {
            close(fd)
            throw HTTPServerError.socket("cannot bind to \(host): not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let e = errno
            close(fd)
            throw HTTPServerError.socket("cannot bind \(host):\(port): \(String(cString: strerror(e)))")
        }
        guard Glibc.listen(fd, backlog) == 0 else { close(fd); throw HTTPServerError.socket("listen() failed: errno \(errno)") }
        return fd
    }

    /// Accepts a connection: its descriptor (negative on failure, errno set) and the client's
    /// IPv4 address in host byte order.
    static func accept(_ listenFD: Int32) -> (fd: Int32, address: UInt32?) {
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(listenFD, $0, &len) }
        }
        let ipv4 = fd >= 0 && addr.sin_family == sa_family_t(AF_INET)
        return (fd, ipv4 ? UInt32(bigEndian: addr.sin_addr.s_addr) : nil)
    }

    /// The port a socket is bound to (for port 0 = any).
    static func boundPort(_ fd: Int32) -> Int {
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Waits up to `ms` for `fd` to be readable; true if it is (or the peer hung up).
    static func waitReadable(_ fd: Int32, ms: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, ms) > 0
    }

    /// True if the connection was reset or is in error (never blocks). A peer that only shut
    /// down its write side is not gone: it may still be reading.
    static func peerGone(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: 0, revents: 0)
        return poll(&p, 1, 0) > 0 && p.revents & (Int16(POLLHUP) | Int16(POLLERR)) != 0
    }

    /// Writes what the socket buffer takes now, never blocking; true if all of it went.
    static func writeNow(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { send(fd, $0.baseAddress, bytes.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) } == bytes.count
    }

    /// Reads what is available (at most `max` bytes); nil at end of stream or on error.
    static func read(_ fd: Int32, max: Int = 65536) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: max)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
        guard n > 0 else { return nil }
        return Array(buf[0 ..< n])
    }

    /// Writes everything or throws (peer gone, send timeout).
    static func write(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw HTTPServerError.peerClosed }
            offset += n
        }
    }

    static func setSendTimeout(_ fd: Int32, seconds: Int) {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }
}
