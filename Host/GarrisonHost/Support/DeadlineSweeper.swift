import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Deadlines for many short waits (a plugin's answer to a route call or an auth question, an
/// agent's reply to a NATS request) at the cost of one timer. A timer per call meant two cross-thread hops to an event loop
/// per request (schedule, then cancel), a visible share of a plugin route's cost under load.
/// Here a call registers its deadline under a lock and removes it when answered; one tick,
/// running only while deadlines are pending, fires the overdue ones. A deadline fires up to
/// one `resolution` late.
final class DeadlineSweeper: Sendable {
    /// What a deadline belongs to: an object (a call) or a number (a request id).
    enum Key: Hashable, Sendable {
        case object(ObjectIdentifier)
        case id(UInt64)
    }

    private struct Pending {
        let deadline: NIODeadline
        let fire: @Sendable () -> Void
    }

    private struct State {
        var pending: [Key: Pending] = [:]
        var ticking = false
    }

    let resolution: TimeAmount
    private let loop: any EventLoop
    private let state = NIOLockedValueBox(State())

    /// `resolution`: how late a deadline may fire; a sixteenth of the usual timeout keeps
    /// that small against the wait while the tick stays rare.
    init(resolution: TimeAmount, loop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()) {
        self.resolution = max(resolution, .milliseconds(1))
        self.loop = loop
    }

    convenience init(forTimeout timeout: Duration) {
        let nanoseconds = Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        self.init(resolution: .nanoseconds(min(max(nanoseconds / 16, 1_000_000), 1_000_000_000)))
    }

    /// Calls `fire` once `timeout` has passed, unless `cancel(owner)` came first. One
    /// deadline per owner: a second replaces the first.
    func add(_ owner: AnyObject, after timeout: TimeAmount, fire: @escaping @Sendable () -> Void) {
        add(.object(ObjectIdentifier(owner)), after: timeout, fire: fire)
    }

    func add(_ key: Key, after timeout: TimeAmount, fire: @escaping @Sendable () -> Void) {
        let startTicking = state.withLockedValue { state -> Bool in
            state.pending[key] = Pending(deadline: .now() + timeout, fire: fire)
            guard !state.ticking else { return false }
            state.ticking = true
            return true
        }
        if startTicking { scheduleTick() }
    }

    func cancel(_ owner: AnyObject) {
        cancel(.object(ObjectIdentifier(owner)))
    }

    func cancel(_ key: Key) {
        state.withLockedValue { _ = $0.pending.removeValue(forKey: key) }
    }

    var pendingCount: Int { state.withLockedValue { $0.pending.count } }

    private func scheduleTick() {
        loop.scheduleTask(in: resolution) { self.tick() }
    }

    private func tick() {
        let now = NIODeadline.now()
        let (due, more) = state.withLockedValue { state -> ([@Sendable () -> Void], Bool) in
            let overdue = state.pending.filter { $0.value.deadline <= now }
            for key in overdue.keys { state.pending.removeValue(forKey: key) }
            let due = overdue.values.map(\.fire)
            state.ticking = !state.pending.isEmpty
            return (due, state.ticking)
        }
        for fire in due { fire() }
        if more { scheduleTick() }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        self = .nanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}
