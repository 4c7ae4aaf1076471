import Foundation
import NIOConcurrencyHelpers
import Testing
@testable import GarrisonHost

/// The real `garrison serve` on its embedded defaults with the Checks plugin, emulated agents
/// posting script-check results: nats-server and then the private PostgreSQL are killed with
/// SIGKILL while results flow. The host restarts both (EmbeddedPostgres+Restart.swift says
/// why it restarts PostgreSQL rather than exiting), answers results with 200 again, and every
/// result it answered 200 is in the database afterwards.
@Suite(.serialized) struct ChildCrashTests {
    @Test func killedNATSAndPostgresAreRestartedAndNoAcknowledgedResultIsLost() async throws {
        let (fixture, cleanUp) = try CrashFixture.make("children")
        defer { cleanUp() }
        let serve = try fixture.host.start()
        defer { fixture.host.stop(serve) }
        try await fixture.host.awaitStatus200(timeout: .seconds(90))
        let (_, agents) = try await fixture.enroll(3)

        let log = ResultLog()
        let running = NIOLockedValueBox(true)
        let senders = fixture.sendResults(agents, log: log, running: running)

        try await log.awaitAcknowledged(after: ContinuousClock.now, "results to flow", timeout: .seconds(30))
        try await Task.sleep(for: .seconds(1))
        let natsPIDFile = fixture.data.appendingPathComponent("nats/nats-server.pid")
        let nats = try #require(ProcessProbe.pid(inFile: natsPIDFile))
        kill(nats, SIGKILL)
        let natsKilled = ContinuousClock.now
        try await eventually("a new nats-server", timeout: .seconds(60)) {
            ProcessProbe.pid(inFile: natsPIDFile).map { $0 != nats && ProcessProbe.isRunning($0) } ?? false
        }
        let natsBack = ContinuousClock.now - natsKilled
        try await log.awaitAcknowledged(after: ContinuousClock.now, "results after nats-server was killed", timeout: .seconds(60))
        try await Task.sleep(for: .seconds(1))

        let postmasterPIDFile = fixture.data.appendingPathComponent("postgres/cluster/postmaster.pid")
        let postmaster = try #require(ProcessProbe.pid(inFile: postmasterPIDFile))
        kill(postmaster, SIGKILL)
        let pgKilled = ContinuousClock.now
        try await log.awaitAcknowledged(
            after: pgKilled + .milliseconds(50), "a result answered 200 after PostgreSQL was killed", timeout: .seconds(90))
        let pgBack = ContinuousClock.now - pgKilled
        // The supervisor writes the new postmaster.pid as PostgreSQL starts; wait for it.
        try await eventually("a new postmaster", timeout: .seconds(30)) {
            ProcessProbe.pid(inFile: postmasterPIDFile).map { $0 != postmaster && ProcessProbe.isRunning($0) } ?? false
        }
        #expect(serve.exit.exitCode == nil, "the host stays up")
        try await Task.sleep(for: .seconds(2))
        running.withLockedValue { $0 = false }
        try await senders.value

        // Every result answered 200 is a chart point in the Checks plugin's history.
        let stored = try Set(fixture.storedMarkers())
        let acknowledged = log.acknowledged
        let lost = acknowledged.filter { !stored.contains($0) }
        print(
            "ChildCrashTests: \(acknowledged.count) results answered 200, \(log.refused) not; nats-server back in \(natsBack), "
                + "first 200 after PostgreSQL was killed in \(pgBack); lost: \(lost.count) \(lost.prefix(20))")
        #expect(acknowledged.count > 0)
        #expect(lost.isEmpty, "results answered 200 but not stored: \(lost.count) of \(acknowledged.count): \(lost.prefix(20))")
    }
}
