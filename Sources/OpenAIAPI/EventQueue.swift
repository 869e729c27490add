import Engine
import Foundation

/// Hands engine events (delivered on the engine thread) to the connection thread that
/// waits for them, tagged with the choice they belong to; and the client's leaving
/// (delivered by the HTTP server's hang-up watcher), which ends the wait at once.
final class EventQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [(choice: Int, event: EngineEvent, time: Double)] = []
    private var clientGone = false

    func push(_ choice: Int, _ event: EngineEvent) {
        let now = Date().timeIntervalSince1970
        signal { items.append((choice, event, now)) }
    }

    /// The client went away: the waiter stops waiting for events.
    func pushClientGone() { signal { clientGone = true } }

    private func signal(after change: () -> Void) {
        condition.lock()
        change()
        condition.signal()
        condition.unlock()
    }

    /// Everything queued, waiting for at least one item; throws `ClientGone` once the client left.
    func popAll() throws -> [(choice: Int, event: EngineEvent, time: Double)] {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !clientGone { condition.wait() }
        if clientGone { throw ClientGone() }
        defer { items = [] }
        return items
    }
}
