import Foundation

/// Learns when a watched child has exited, and lets a caller wait for it with a deadline.
/// `stopping` tells the exit the host asked for from one it did not.
final class ChildExit: @unchecked Sendable {
    // @unchecked: every field is read and written with `condition` held.
    private let condition = NSCondition()
    private var code: Int32?
    private var stopRequested = false

    func exited(_ code: Int32) {
        condition.lock()
        self.code = code
        condition.broadcast()
        condition.unlock()
    }

    var exitCode: Int32? {
        condition.lock()
        defer { condition.unlock() }
        return code
    }

    var stopping: Bool {
        get {
            condition.lock()
            defer { condition.unlock() }
            return stopRequested
        }
        set {
            condition.lock()
            stopRequested = newValue
            condition.unlock()
        }
    }

    /// True once the child has exited; false if `timeout` passed first.
    func wait(timeout: TimeInterval) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while code == nil {
            if !condition.wait(until: deadline) { return code != nil }
        }
        return true
    }
}
