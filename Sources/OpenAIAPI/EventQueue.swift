import Engine
import Foundation

/// Hands engine events (delivered on the engine thread) to the connection thread that
/// waits for them, tagged with the choice they belong to.
final class EventQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [(choice: Int, event: EngineEvent, time: Double)] = []

    func push(_ choice: Int, _ event: EngineEvent) {
        let now = Date().timeIntervalSince1970
        condition.lock()
        items.append((choice, event, now))
        condition.signal()
        condition.unlock()
    }

    /// Everything queued, waiting up to `timeout` seconds for at least one item.
    func popAll(timeout: Double) -> [(choice: Int, event: EngineEvent, time: Double)] {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while items.isEmpty && condition.wait(until: deadline) {}
        defer { items = [] }
        return items
    }
}
