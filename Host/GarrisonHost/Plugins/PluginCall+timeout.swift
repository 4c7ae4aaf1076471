import CGarrisonPlugin
import NIOCore

/// call_set_timeout (1.2): a route that waits on something slower than a usual request by
/// design -- a shell command with the operator's own timeout -- sets its own deadline instead
/// of plugins.call_timeout_ms.
extension PluginCall {
    static let timeoutRange: ClosedRange<UInt32> = 1...UInt32(GARRISON_CALL_TIMEOUT_MAX_MS)

    func setTimeout(milliseconds: UInt32) -> Int32 {
        guard Self.timeoutRange.contains(milliseconds) else { return GARRISON_ERR_INVALID }
        guard answer.isUnanswered else { return GARRISON_ERR_PHASE }
        let timeout = Duration.milliseconds(Int(milliseconds))
        withExtras { extras in
            extras.timeout = timeout
            // Re-armed under the same lock as `armDeadline`, so the two can never leave the
            // older deadline in the sweeper.
            if extras.armed { arm(timeout) }
        }
        return GARRISON_OK
    }

    /// The host starts waiting for the answer: the plugin's own deadline if it set one.
    func armDeadline(default fallback: Duration) {
        withExtras { extras in
            extras.armed = true
            arm(extras.timeout ?? fallback)
        }
    }

    private func arm(_ timeout: Duration) {
        let answer = self.answer
        host.services.callDeadlines.add(self, after: .init(timeout)) { answer.expire() }
    }

    /// The deadline that applies now, for the 504's text.
    var effectiveTimeout: Duration? { withExtras { $0.timeout } }
}
