import Foundation

/// A dictionary shared between threads behind an `NSLock`. Not Synchronization's `Mutex`: on
/// Linux a contended `Mutex` is handed over inside the kernel (a priority-inheritance futex),
/// which ThreadSanitizer cannot see, so every access made under it after contention is reported
/// as a race (scripts/sanitize); `NSLock` is a pthread mutex, which it understands.
final class LockedCache<Key: Hashable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [Key: Value] = [:]

    subscript(key: Key) -> Value? {
        get { lock.withLock { entries[key] } }
        set { lock.withLock { entries[key] = newValue } }
    }

    var count: Int { lock.withLock { entries.count } }
}
