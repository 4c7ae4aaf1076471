import Synchronization

/// Runs one piece of work at a time, and once more after it if it was asked for meanwhile:
/// how a plugin drains an outbox. Every `kick()` is followed by a run that starts after it,
/// yet a burst of kicks costs one extra run, not one each.
public final class SingleFlight: Sendable {
    private let state = Mutex<(running: Bool, again: Bool)>((false, false))

    public init() {}

    /// Starts `work` unless a run is going; if one is, that run is followed by another.
    /// `work` is the same each time (an owner passes its drain method) and handles its own
    /// errors: a run that fails is simply over.
    public func kick(_ work: @escaping @Sendable () async -> Void) {
        let start = state.withLock { s -> Bool in
            if s.running { s.again = true; return false }
            s.running = true
            return true
        }
        guard start else { return }
        Task {
            while true {
                await work()
                let more = state.withLock { s -> Bool in
                    if s.again { s.again = false; return true }
                    s.running = false
                    return false
                }
                if !more { return }
            }
        }
    }
}
