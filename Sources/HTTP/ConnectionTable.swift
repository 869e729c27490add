/// The server's open connections and which of them may be closed to make room: a connection
/// that is not answering a request (still receiving one, or idle between requests) can be
/// evicted, oldest first, when the table is full, so slow or idle clients cannot lock new
/// ones out. A pure value; the server keeps it under its lock.
public struct ConnectionTable {
    public let capacity: Int
    /// fd → its entry; `id` tells a descriptor's successive connections apart.
    private var entries: [Int32: Entry] = [:]
    private var nextID = 0

    private struct Entry {
        var id: Int
        var busy = false
        /// When it last began waiting for a request (accepted, or finished answering one).
        var since: Double
    }

    public init(capacity: Int) { self.capacity = capacity }

    public var count: Int { entries.count }
    public var busyCount: Int { entries.values.filter(\.busy).count }

    /// Admits `fd` at `now`: its connection id, and the descriptor evicted to make room (to shut
    /// down by the caller) if the table was full; nil if it is full of connections answering requests.
    public mutating func admit(_ fd: Int32, now: Double) -> (id: Int, evicted: Int32?)? {
        var evicted: Int32? = nil
        if entries.count >= capacity {
            guard let oldest = entries.filter({ !$0.value.busy }).min(by: { $0.value.since < $1.value.since })?.key else { return nil }
            entries[oldest] = nil
            evicted = oldest
        }
        nextID += 1
        entries[fd] = Entry(id: nextID, since: now)
        return (nextID, evicted)
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
