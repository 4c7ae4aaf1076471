import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// The durable scheduler: turns due schedules into runs, claims runs under a lease, runs
/// them through their kind's handler and records the outcome, all in PostgreSQL so that any
/// number of hosts can share the work and none runs a job twice at once.
public final class Scheduler: Service, Sendable {
    public struct Options: Sendable {
        public var pollInterval: Duration = .milliseconds(250)
        public var lease: TimeInterval = 30
        public var batch = 200
        public var maxConcurrent = 512
        /// A due time older than this means the start was missed (no host was running).
        public var missedGrace: TimeInterval = 60
        public var reapInterval: Duration = .seconds(2)
        public init(
            pollInterval: Duration = .milliseconds(250), lease: TimeInterval = 30, batch: Int = 200, maxConcurrent: Int = 512,
            missedGrace: TimeInterval = 60, reapInterval: Duration = .seconds(2)
        ) {
            self.pollInterval = pollInterval
            self.lease = lease
            self.batch = batch
            self.maxConcurrent = maxConcurrent
            self.missedGrace = missedGrace
            self.reapInterval = reapInterval
        }
    }

    public let store: ScheduleStore
    public let registry: JobRegistry
    public let hostID: String
    let options: Options
    let clock: @Sendable () -> Date
    let logger: Logger

    private let inflight = NIOLockedValueBox<Set<Int>>([])
    private let passes = NIOLockedValueBox(0)
    private let finished = NIOLockedValueBox<[(runID: Int, outcome: JobOutcome)]>([])
    private let doorbell = Doorbell()
    private let completions = Doorbell()

    public init(
        pool: DatabasePool, registry: JobRegistry,
        hostID: String = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(Crypto.randomHex(bytes: 4))",
        options: Options = Options(), clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.store = ScheduleStore(pool: pool)
        self.registry = registry
        self.hostID = hostID
        self.options = options
        self.clock = clock
        self.logger = logger
    }

    /// Ask for a tick now (new work was queued on this host).
    public func poke() { doorbell.ring() }

    /// Passes of the claim loop completed, and whether no handler runs: a test that asserts
    /// nothing more happens waits for two more passes with nothing in flight, not a sleep.
    public var progress: (passes: Int, idle: Bool) {
        (passes.withLockedValue { $0 }, inflight.withLockedValue { $0.isEmpty })
    }

    public func run() async throws {
        logger.info("scheduler running", metadata: ["host": "\(hostID)", "kinds": "\(registry.kinds.joined(separator: ","))"])
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.heartbeat() }
            // Completions are written by their own loop, on another connection, while this one
            // claims: under load the two statements overlap instead of taking turns.
            group.addTask { await self.recordCompletions() }
            var lastReap = ContinuousClock.now - options.reapInterval
            var lastMaterialize = ContinuousClock.now - .seconds(1)
            var busy = false
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                do {
                    // Record what finished first: a schedule's open run must be closed before
                    // its next occurrence is materialized, or that occurrence is skipped.
                    try await flush()
                    if ContinuousClock.now - lastReap >= options.reapInterval {
                        lastReap = ContinuousClock.now
                        let reaped = try await store.reap(now: clock())
                        if reaped.requeued > 0 {
                            logger.warning("requeued runs whose host stopped", metadata: ["count": "\(reaped.requeued)"])
                        }
                    }
                    // While busy claiming, look for due schedules every 100 ms, not every batch.
                    if !busy || ContinuousClock.now - lastMaterialize >= .milliseconds(100) {
                        lastMaterialize = ContinuousClock.now
                        while try await store.materialize(now: clock(), grace: options.missedGrace, limit: 500) == 500 {}
                    }
                    busy = try await claimAndStart(into: &group)
                } catch {
                    busy = false
                    logger.error("scheduler tick failed; retrying", metadata: ["error": "\(error)"])
                }
                passes.withLockedValue { $0 += 1 }
                if !busy {
                    await doorbell.wait(timeout: options.pollInterval)
                }
            }
            // Drain: no new claims; give running handlers until the lease runs out to finish.
            // Whatever is still running then is cancelled and left to lapse, so another host
            // retries it exactly as if this one had died.
            let deadline = ContinuousClock.now + .seconds(options.lease)
            while !inflight.withLockedValue({ $0.isEmpty }) && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            try? await flush()
            group.cancelAll()
        }
        logger.info("scheduler stopped", metadata: ["host": "\(hostID)"])
    }

    private func claimAndStart(into group: inout TaskGroup<Void>) async throws -> Bool {
        let capacity = options.maxConcurrent - inflight.withLockedValue { $0.count }
        let runs = try await store.claim(
            host: hostID, kinds: registry.kinds, now: clock(), lease: options.lease, limit: min(capacity, options.batch))
        for run in runs {
            inflight.withLockedValue { _ = $0.insert(run.runID) }
            let handler = registry.handler(for: run.kind)
            group.addTask {
                let outcome = await handler?(run) ?? .failed("no handler for job kind '\(run.kind)' on this host")
                self.finished.withLockedValue { $0.append((run.runID, outcome)) }
                self.inflight.withLockedValue { _ = $0.remove(run.runID) }
                self.completions.ring()
                self.doorbell.ring()
            }
        }
        return runs.count == options.batch
    }

    private func flush() async throws {
        let batch = finished.withLockedValue { pending -> [(runID: Int, outcome: JobOutcome)] in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !batch.isEmpty else { return }
        do { try await store.complete(host: hostID, batch) } catch {
            // Keep them for the next tick rather than lose a result.
            finished.withLockedValue { $0.insert(contentsOf: batch, at: 0) }
            throw error
        }
    }

    private func recordCompletions() async {
        while !Task.isCancelled {
            await completions.wait(timeout: .milliseconds(50))
            do { try await flush() } catch {
                logger.warning("recording job results failed; will retry", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    private func heartbeat() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(max(1, options.lease / 3)))
            let ids = Array(inflight.withLockedValue { $0 })
            do { try await store.extend(host: hostID, runIDs: ids, lease: options.lease) } catch {
                logger.warning("lease renewal failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
