import Foundation

/// Checks `condition` every 10 ms until it holds or `timeout` seconds have passed; returns
/// whether it held. For tests that expect a state another thread reaches "soon".
public func waitUntil(timeout: Double = 5, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        Thread.sleep(forTimeInterval: 0.01)
    }
}
