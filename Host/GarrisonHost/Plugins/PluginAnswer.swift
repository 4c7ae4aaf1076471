import CGarrisonPlugin
import NIOConcurrencyHelpers

/// Something the host can give up on when the plugin is disabled: an open call or auth question.
protocol PluginAnswerHolder: Sendable {
    func cancelByHost()
}

/// The one answer a plugin owes the host for a call (call_respond) or an auth question
/// (auth_complete). Whatever the order of events -- answer inside the plugin function, from
/// another thread before or after it returned, after the host timed out, twice -- the
/// waiting handler is resumed exactly once and the plugin learns what became of its answer.
final class PluginAnswer<Value: Sendable>: Sendable {
    enum Outcome: Sendable {
        case answered(Value)
        case timedOut
        case cancelled
    }

    private enum Phase: Sendable {
        /// The plugin function is running; nobody waits yet.
        case running
        /// The function returned GARRISON_PENDING and the handler waits.
        case awaiting(CheckedContinuation<Outcome, Never>)
        /// Answered while the function ran; the handler collects it.
        case answered(Value)
        /// The handler has the answer; any further answer is a second one.
        case consumed
        case timedOut
        case cancelled
        /// A late answer was reported as TIMEOUT or CANCELLED; nothing more is expected.
        case closed
    }

    private let phase = NIOLockedValueBox(Phase.running)

    init() {}

    /// The plugin answers. Returns the ABI code for call_respond / auth_complete.
    func answer(_ value: Value) -> Int32 {
        let (code, waiter) = phase.withLockedValue { phase -> (Int32, CheckedContinuation<Outcome, Never>?) in
            switch phase {
            case .running:
                phase = .answered(value)
                return (GARRISON_OK, nil)
            case .awaiting(let continuation):
                phase = .consumed
                return (GARRISON_OK, continuation)
            case .answered, .consumed, .closed:
                return (GARRISON_ERR_PHASE, nil)
            case .timedOut:
                phase = .closed
                return (GARRISON_ERR_TIMEOUT, nil)
            case .cancelled:
                phase = .closed
                return (GARRISON_ERR_CANCELLED, nil)
            }
        }
        waiter?.resume(returning: .answered(value))
        return code
    }

    /// The plugin function returned something other than GARRISON_PENDING: takes the answer
    /// it gave, if any. Any later answer is refused with GARRISON_ERR_PHASE.
    func collect() -> Value? {
        phase.withLockedValue { phase -> Value? in
            if case .answered(let value) = phase {
                phase = .consumed
                return value
            }
            if case .running = phase { phase = .consumed }
            return nil
        }
    }

    /// The plugin function returned GARRISON_PENDING: waits for the answer, the deadline
    /// (`expire`) or the host giving up (`cancelByHost`).
    func wait() async -> Outcome {
        await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let now = phase.withLockedValue { phase -> Outcome? in
                switch phase {
                case .running:
                    phase = .awaiting(continuation)
                    return nil
                case .answered(let value):
                    phase = .consumed
                    return .answered(value)
                case .cancelled:
                    return .cancelled
                case .timedOut:
                    return .timedOut
                case .awaiting, .consumed, .closed:
                    preconditionFailure("PluginAnswer.wait called twice")
                }
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// The deadline passed: a waiting handler answers for the plugin.
    func expire() {
        let waiter = phase.withLockedValue { phase -> CheckedContinuation<Outcome, Never>? in
            guard case .awaiting(let continuation) = phase else { return nil }
            phase = .timedOut
            return continuation
        }
        waiter?.resume(returning: .timedOut)
    }

    /// Whether the plugin still owes this answer (its handle must stay valid).
    var isOpen: Bool {
        phase.withLockedValue { phase in
            switch phase {
            case .running, .awaiting, .timedOut, .cancelled: return true
            case .answered, .consumed, .closed: return false
            }
        }
    }

    /// Whether an answer from the plugin would still be taken (call_set_timeout's phase rule).
    var isUnanswered: Bool {
        phase.withLockedValue { phase in
            switch phase {
            case .running, .awaiting: return true
            case .answered, .consumed, .timedOut, .cancelled, .closed: return false
            }
        }
    }

    /// Disabling: the host answers for the plugin; a later answer gets GARRISON_ERR_CANCELLED.
    func cancel() {
        let waiter = phase.withLockedValue { phase -> CheckedContinuation<Outcome, Never>? in
            switch phase {
            case .awaiting(let continuation):
                phase = .cancelled
                return continuation
            case .running, .timedOut:
                phase = .cancelled
                return nil
            case .answered, .consumed, .cancelled, .closed:
                return nil
            }
        }
        waiter?.resume(returning: .cancelled)
    }
}
