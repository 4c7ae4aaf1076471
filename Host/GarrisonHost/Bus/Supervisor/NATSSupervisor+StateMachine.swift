/// The supervisor's life cycle as a plain value: it is told what happened (spawned,
/// exited, the backoff elapsed, agents changed, stop) and answers what to do. It does no
/// I/O, so every transition is tested without a process.
extension NATSSupervisor {
    public struct StateMachine: Sendable, Equatable {
        public enum State: Sendable, Equatable {
            case idle
            case starting(attempt: Int, stopRequested: Bool)
            case running(pid: Int32, since: ContinuousClock.Instant, attempt: Int)
            case backingOff(attempt: Int)
            case stopping(pid: Int32)
            case stopped
        }

        public enum Action: Sendable, Equatable {
            case none
            /// Write the config and start nats-server.
            case spawn
            /// Start again after this delay (then call `backoffElapsed`).
            case restartAfter(Duration)
            /// Rewrite the config and signal the running server to reload it.
            case reload(pid: Int32)
            /// Ask the server to exit (SIGTERM).
            case terminate(pid: Int32)
        }

        public private(set) var state: State = .idle
        public var baseDelay: Duration = .milliseconds(100)
        public var maxDelay: Duration = .seconds(10)
        /// A server that ran this long before dying starts over at the shortest delay.
        public var stableAfter: Duration = .seconds(30)

        public init() {}

        public mutating func start() -> Action {
            guard state == .idle else { return .none }
            state = .starting(attempt: 0, stopRequested: false)
            return .spawn
        }

        public mutating func spawned(pid: Int32, at now: ContinuousClock.Instant) -> Action {
            guard case .starting(let attempt, let stopRequested) = state else { return .terminate(pid: pid) }
            if stopRequested {
                state = .stopping(pid: pid)
                return .terminate(pid: pid)
            }
            state = .running(pid: pid, since: now, attempt: attempt)
            return .none
        }

        public mutating func spawnFailed() -> Action {
            guard case .starting(let attempt, let stopRequested) = state else { return .none }
            if stopRequested {
                state = .stopped
                return .none
            }
            return backOff(attempt: attempt + 1)
        }

        public mutating func exited(pid: Int32, at now: ContinuousClock.Instant) -> Action {
            switch state {
            case .running(let running, let since, let attempt) where running == pid:
                return backOff(attempt: since.duration(to: now) >= stableAfter ? 1 : attempt + 1)
            case .stopping(let stopping) where stopping == pid:
                state = .stopped
                return .none
            default:
                return .none
            }
        }

        public mutating func backoffElapsed() -> Action {
            guard case .backingOff(let attempt) = state else { return .none }
            state = .starting(attempt: attempt, stopRequested: false)
            return .spawn
        }

        /// Agents enrolled or left. A server that is not running reads the new config when
        /// it is next spawned, so only a running one needs a reload.
        public mutating func agentsChanged() -> Action {
            guard case .running(let pid, _, _) = state else { return .none }
            return .reload(pid: pid)
        }

        public mutating func stop() -> Action {
            switch state {
            case .idle, .backingOff:
                state = .stopped
                return .none
            case .starting(let attempt, _):
                state = .starting(attempt: attempt, stopRequested: true)
                return .none
            case .running(let pid, _, _):
                state = .stopping(pid: pid)
                return .terminate(pid: pid)
            case .stopping, .stopped:
                return .none
            }
        }

        public var runningPID: Int32? {
            if case .running(let pid, _, _) = state { return pid }
            return nil
        }

        /// baseDelay, doubling per consecutive failure, capped at maxDelay.
        public func delay(attempt: Int) -> Duration {
            var delay = baseDelay
            for _ in 1..<max(1, min(attempt, 30)) {
                delay *= 2
                if delay >= maxDelay { return maxDelay }
            }
            return min(delay, maxDelay)
        }

        private mutating func backOff(attempt: Int) -> Action {
            state = .backingOff(attempt: attempt)
            return .restartAfter(delay(attempt: attempt))
        }
    }
}
