@testable import GarrisonHost
import NIOConcurrencyHelpers
import NIOCore
import Testing

@Suite struct DeadlineSweeperTests {
    final class Owner: Sendable {}

    @Test func aDeadlineFiresOnceAfterItsTime_andACancelledOneNever() async throws {
        let sweeper = DeadlineSweeper(resolution: .milliseconds(10))
        let fired = NIOLockedValueBox<[String]>([])
        let (late, early, cancelled) = (Owner(), Owner(), Owner())
        let start = ContinuousClock.now
        sweeper.add(late, after: .milliseconds(600)) { fired.withLockedValue { $0.append("late") } }
        sweeper.add(early, after: .milliseconds(30)) { fired.withLockedValue { $0.append("early \(ContinuousClock.now - start)") } }
        sweeper.add(cancelled, after: .milliseconds(30)) { fired.withLockedValue { $0.append("cancelled") } }
        sweeper.cancel(cancelled)
        // Wide margins: a loaded 2-core CI machine can be late by tens of milliseconds.
        try await Task.sleep(for: .milliseconds(250))
        let firstLook = fired.withLockedValue { $0 }
        #expect(firstLook.count == 1 && firstLook.first?.hasPrefix("early") == true, "\(firstLook)")
        #expect(sweeper.pendingCount == 1)
        try await Task.sleep(for: .milliseconds(700))
        #expect(fired.withLockedValue { $0 }.dropFirst() == ["late"])
        // Nothing left: the tick has stopped, and a new deadline starts it again.
        #expect(sweeper.pendingCount == 0)
        sweeper.add(early, after: .milliseconds(20)) { fired.withLockedValue { $0.append("again") } }
        try await eventually("the new deadline fired") { fired.withLockedValue { $0 }.last == "again" }
    }

    @Test func theResolutionFollowsTheTimeout() {
        #expect(DeadlineSweeper(forTimeout: .seconds(16)).resolution == .seconds(1))
        #expect(DeadlineSweeper(forTimeout: .milliseconds(320)).resolution == .milliseconds(20))
        #expect(DeadlineSweeper(forTimeout: .milliseconds(5)).resolution == .milliseconds(1))
        #expect(DeadlineSweeper(forTimeout: .seconds(600)).resolution == .seconds(1))
    }
}
