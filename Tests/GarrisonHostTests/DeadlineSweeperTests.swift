@testable import GarrisonHost
import NIOConcurrencyHelpers
import NIOCore
import Testing

@Suite struct DeadlineSweeperTests {
    final class Owner: Sendable {}

    /// Only lower bounds on time are asserted: a loaded CI machine may fire late, never early.
    @Test func aDeadlineFiresOnceAfterItsTime_andACancelledOneNever() async throws {
        let sweeper = DeadlineSweeper(resolution: .milliseconds(10))
        let fired = NIOLockedValueBox<[(String, Duration)]>([])
        let (late, early, cancelled) = (Owner(), Owner(), Owner())
        let start = ContinuousClock.now
        func record(_ name: String) -> @Sendable () -> Void { { fired.withLockedValue { $0.append((name, ContinuousClock.now - start)) } } }
        sweeper.add(late, after: .milliseconds(300), fire: record("late"))
        sweeper.add(early, after: .milliseconds(30), fire: record("early"))
        sweeper.add(cancelled, after: .milliseconds(30), fire: record("cancelled"))
        sweeper.cancel(cancelled)
        try await eventually("both deadlines fired") { fired.withLockedValue { $0.count } >= 2 }
        let seen = fired.withLockedValue { $0 }
        #expect(seen.map(\.0) == ["early", "late"])
        #expect(seen[0].1 >= .milliseconds(30) && seen[1].1 >= .milliseconds(300), "\(seen)")
        // Nothing left: the tick has stopped, and a new deadline starts it again.
        #expect(sweeper.pendingCount == 0)
        sweeper.add(early, after: .milliseconds(20), fire: record("again"))
        try await eventually("the new deadline fired") { fired.withLockedValue { $0.last?.0 } == "again" }
        #expect(fired.withLockedValue { $0.map(\.0) } == ["early", "late", "again"])
    }

    @Test func theResolutionFollowsTheTimeout() {
        #expect(DeadlineSweeper(forTimeout: .seconds(16)).resolution == .seconds(1))
        #expect(DeadlineSweeper(forTimeout: .milliseconds(320)).resolution == .milliseconds(20))
        #expect(DeadlineSweeper(forTimeout: .milliseconds(5)).resolution == .milliseconds(1))
        #expect(DeadlineSweeper(forTimeout: .seconds(600)).resolution == .seconds(1))
    }
}
