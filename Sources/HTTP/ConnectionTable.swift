/// The server's open connections and which of them may be closed to make room: a connection
/// that is not answering a request (still receiving one, or idle between requests) can be
/// evicted, oldest first, when the table is full, so slow or idle clients cannot lock new
/// ones out. With a per-address cap, one client address holds at most that many: at its cap,
/// its own oldest waiting connection makes room for its newcomer. A pure value; the server
/// keeps it under its lock.
public struct ConnectionTable {
    public let capacity: Int
    /// Connections one address may hold (0: no cap).
    public let perAddress: Int
    /// Whether the cap applies to loopback addresses (127.0.0.0/8) too: off by default, since a
    /// reverse proxy on the same host brings every client from 127.0.0.1.
    public let capLoopback: Bool
    /// fd → its entry; `id` tells a descriptor's successive connections apart.
    private var entries: [Int32: Entry] = [:]
    private var nextID = 0

    private struct Entry {
        var id: Int
        /// The client's IPv4 address in host byte order, nil if unknown.
        var address: UInt32?
        var busy = false
        /// When it last began waiting for a request (accepted, or finished answering one).
        var since: Double
    }

    /// Why a connection was not admitted.
    public enum Refusal: Error, Equatable {
        /// Every connection is answering a request.
        case full
        /// The client's address holds its cap of connections, all answering requests.
        case addressFull
    }

    public init(capacity: Int, perAddress: Int = 0, capLoopback: Bool = false) {
        self.capacity = capacity
        self.perAddress = perAddress
        self.capLoopback = capLoopback
    }

    public var count: Int { entries.count }
    public var busyCount: Int { entries.values.filter(\.busy).count }

    /// Admits `fd` from `address` (IPv4, host byte order) at `now`: its connection id, and the
    /// descriptor evicted to make room (to shut down by the caller) if the table or the address's
    /// share of it was full.
    public mutating func admit(_ fd: Int32, address: UInt32? = nil, now: Double) throws(Refusal) -> (id: Int, evicted: Int32?) {
        var evicted: Int32? = nil
        if let address, perAddress > 0, capLoopback || address >> 24 != 127 {
            let own = entries.filter { $0.value.address == address }
            if own.count >= perAddress {
                guard let oldest = Self.oldestWaiting(own) else { throw .addressFull }
                entries[oldest] = nil
                evicted = oldest
            }
        }
        if entries.count >= capacity {
            guard let oldest = Self.oldestWaiting(entries) else { throw .full }
            entries[oldest] = nil
            evicted = oldest
        }
        nextID += 1
        entries[fd] = Entry(id: nextID, address: address, since: now)
        return (nextID, evicted)
    }

    private static func oldestWaiting(_ entries: [Int32: Entry]) -> Int32? {
        entries.filter { !$0.value.busy }.min(by: { $0.value.since < $1.value.since })?.key
    }

    /// The connection has a whole request to answer; false if it was evicted meanwhile.
    public mutating func markBusy(_ fd: Int32, id: Int) -> Bool {
        guard entries[fd]?.id == id else { return false }
        entries[fd]?.busy = true
        return true
    }

    /// The connection answered and waits for its next request.
    public mutating func markWaiting(_ fd: Int32, id: Int, now: Double) {
        guard entries[fd]?.id == id else { return }
        entries[fd]?.busy = false
        entries[fd]?.since = now
    }

    /// The connection is closing (a no-op if it was evicted).
    public mutating func remove(_ fd: Int32, id: Int) {
        if entries[fd]?.id == id { entries[fd] = nil }
    }
}
