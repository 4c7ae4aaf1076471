import NIOConcurrencyHelpers

/// Lets a loop sleep until either a timeout passes or someone rings. A ring while nobody
/// waits is remembered, so a wake-up between two waits is never lost.
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = NIOLockedValueBox(State())

    public init() {}

    public func ring() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter { state.waiter = nil; return waiter }
            state.rung = true
            return nil
        }
        waiter?.resume()
    }

    public func wait(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = self.state.withLockedValue { state -> Bool in
                        if state.rung { state.rung = false; return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask {
                // Cancelled (someone rang first): no ring of our own. At worst a timeout that
                // races a real ring leaves one spurious wake-up, never a lost one.
                do { try await Task.sleep(for: timeout); self.ring() } catch {}
            }
            await group.next()
            group.cancelAll()
            // If we stopped for the timeout's cancellation (the task itself was cancelled),
            // the other child still waits: release it without counting it as a ring.
            let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
