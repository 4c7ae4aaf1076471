/// Consecutive-failure counting for one check on one agent: an alert-worthy failure only
/// after `fails_b4_alert` failures in a row, and a recovery once, on the first passing
/// result after it. A plain value: the plugin loads it, applies a result, stores it, and
/// writes the transition it returns to the outbox in the same statement.
public struct FailureCounter: Sendable, Equatable, Codable {
    public var failCount: Int
    /// A check.failed was raised and no check.resolved yet.
    public var alerted: Bool

    public init(failCount: Int = 0, alerted: Bool = false) {
        self.failCount = failCount
        self.alerted = alerted
    }

    public enum Transition: String, Sendable, Equatable {
        case none
        /// Raise check.failed.
        case failed
        /// Raise check.resolved.
        case resolved
    }

    /// Applies one result. A pending status (no result yet) changes nothing.
    public mutating func apply(_ status: CheckStatus, failsBeforeAlert: Int) -> Transition {
        switch status {
        case .failing:
            failCount += 1
            if !alerted && failCount >= max(failsBeforeAlert, 1) {
                alerted = true
                return .failed
            }
            return .none
        case .passing:
            failCount = 0
            if alerted {
                alerted = false
                return .resolved
            }
            return .none
        case .pending:
            return .none
        }
    }

    /// An operator reset ("reset check status"): passing, count cleared, an open alert resolved.
    public mutating func reset() -> Transition {
        failCount = 0
        if alerted {
            alerted = false
            return .resolved
        }
        return .none
    }
}
