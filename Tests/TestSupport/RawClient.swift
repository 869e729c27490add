import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP client for tests: connect, send bytes, read until the peer closes or a timeout.
public struct RawClient {
    public let fd: Int32

    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0 else { throw NSError(domain: "connect", code: Int(errno)) }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    public func send(_ text: String) { send(Array(text.utf8)) }
    public func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) } }

    /// Reads until `done(received)` is true, the peer closes, or the read times out.
    public func read(until done: (String) -> Bool = { _ in false }) -> String {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while !done(String(decoding: out, as: UTF8.self)) {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 65536, 0) }
            if n <= 0 { break }
            out += buf[0 ..< n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// What arrives within `ms` milliseconds (empty if nothing).
    public func readAvailable(ms: Int32) -> String {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, ms) > 0 else { return "" }
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 65536, Int32(MSG_DONTWAIT)) }
        return n > 0 ? String(decoding: buf[0 ..< n], as: UTF8.self) : ""
    }

    /// Everything until the stream ends; `clean` is false if it ended in a reset or error, not end of stream.
    public func readToEnd() -> (text: String, clean: Bool) {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 65536, 0) }
            if n == 0 { return (String(decoding: out, as: UTF8.self), true) }
            if n < 0 { return (String(decoding: out, as: UTF8.self), false) }
            out += buf[0 ..< n]
        }
    }

    /// Shuts down the write side only (end of stream to the server); the answer can still be read.
    public func shutdownWrite() { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }

    public func close() { Glibc.close(fd) }
}

