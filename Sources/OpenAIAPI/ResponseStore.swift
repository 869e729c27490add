import Foundation
import JSON

/// The responses kept for `GET /v1/responses/{id}`, `previous_response_id` and
/// `input_items`: in memory, at most `capacity` of them, the least recently used dropped
/// first (a read or a continuation counts as a use). Capacity 0 keeps nothing. Safe to use
/// from every connection thread.
final class ResponseStore: @unchecked Sendable {
    struct Entry {
        /// The response object as `GET` returns it.
        var response: JSON
        /// This request's input items, each with its `id` (oldest first).
        var inputItems: [JSON]
        /// The conversation so far as chat messages: the previous response's, this request's
        /// input and the output as an assistant turn (`instructions` are not carried over).
        var history: [JSON]
    }

    let capacity: Int
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    /// Ids from least to most recently used.
    private var order: [String] = []

    init(capacity: Int) { self.capacity = max(0, capacity) }

    var count: Int { locked { entries.count } }

    /// Keeps `entry` under `id` (replacing one of that id), dropping the least recently used beyond capacity.
    func put(_ id: String, _ entry: Entry) {
        guard capacity > 0 else { return }
        locked {
            if entries.updateValue(entry, forKey: id) != nil { order.removeAll { $0 == id } }
            order.append(id)
            while order.count > capacity { entries[order.removeFirst()] = nil }
        }
    }

    /// The entry of `id`, now the most recently used; nil when unknown or dropped.
    func get(_ id: String) -> Entry? {
        locked {
            guard let e = entries[id] else { return nil }
            order.removeAll { $0 == id }
            order.append(id)
            return e
        }
    }

    /// Forgets `id`; false when it was not kept.
    func remove(_ id: String) -> Bool {
        locked {
            guard entries.removeValue(forKey: id) != nil else { return false }
            order.removeAll { $0 == id }
            return true
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
