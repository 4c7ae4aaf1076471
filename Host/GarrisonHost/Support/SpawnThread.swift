import Foundation

/// One thread that lives as long as the process, on which long-lived children are spawned.
/// Linux sends PR_SET_PDEATHSIG when the *thread* that spawned a child exits, not the
/// process: a child spawned from a pool thread (Dispatch retires idle ones) would be told to
/// die while the host is still running. This thread never exits, so its children get the
/// signal only when the host itself is gone.
final class SpawnThread: @unchecked Sendable {
    // @unchecked: `pending` is only touched with `condition` held.
    static let shared = SpawnThread()

    private let condition = NSCondition()
    private var pending: [@Sendable () -> Void] = []

    private init() {
        let thread = Thread { [self] in loop() }
        thread.name = "garrison-spawner"
        thread.start()
    }

    /// Runs `body` on the spawn thread and returns what it returned (or threw).
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        condition.lock()
        pending.append {
            box.result = Result { try body() }
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        return try box.result!.get()
    }

    private func loop() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            let work = pending.removeFirst()
            condition.unlock()
            work()
        }
    }

    private final class ResultBox<T>: @unchecked Sendable {
        // @unchecked: written on the spawn thread before the semaphore is signalled, read after.
        var result: Result<T, Error>?
    }
}
