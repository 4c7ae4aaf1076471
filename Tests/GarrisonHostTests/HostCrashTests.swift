import Foundation
import NIOConcurrencyHelpers
import Testing
@testable import GarrisonHost

/// `kill -9` of the host itself under load: agents connected to its nats-server and results
/// flowing. `garrison serve` again on the same folder answers within 5 s, the dead host's
/// PostgreSQL and nats-server are gone, the agents (nats.py, which reconnects as the real
/// agent's nats.go does) are back online, and every result answered 200 is stored.
@Suite(.serialized) struct HostCrashTests {
    @Test func aHostKilledUnderLoadServesAgainWithItsAgentsAndNothingAcknowledgedLost() async throws {
        let (fixture, cleanUp) = try CrashFixture.make("hostcrash")
        defer { cleanUp() }
        let first = try fixture.host.start()
        var stopFirst = true
        defer { if stopFirst { fixture.host.stop(first) } }
        try await fixture.host.awaitStatus200(timeout: .seconds(90))
        let (admin, agents) = try await fixture.enroll(3)

        var listeners: [CommandAgent] = []
        defer { for listener in listeners { listener.stop() } }
        for agent in agents {
            listeners.append(
                try await CommandAgent.start(
                    url: "nats://127.0.0.1:\(fixture.natsPort)", agentID: agent.id, token: agent.token, hello: true))
        }
        for agent in agents {
            let ping = try await fixture.http.call("GET", "/agents/\(agent.id)/ping/", token: admin)
            #expect(ping.json["status"] == "online", "before the crash: \(ping.text)")
        }

        let log = ResultLog()
        let running = NIOLockedValueBox(true)
        let senders = fixture.sendResults(agents, log: log, running: running)
        try await log.awaitAcknowledged(after: ContinuousClock.now, "results to flow", timeout: .seconds(30))
        try await Task.sleep(for: .seconds(1))

        let data = fixture.data
        // Identities, not bare pids: a busy machine may hand a dead child's pid to another
        // process before the check below.
        let postgres = try #require(
            ProcessProbe.pid(inFile: data.appendingPathComponent("postgres/cluster/postmaster.pid")).flatMap(ProcessProbe.identity))
        let nats = try #require(
            ProcessProbe.pid(inFile: data.appendingPathComponent("nats/nats-server.pid")).flatMap(ProcessProbe.identity))
        kill(first.pid, SIGKILL)
        let killed = ContinuousClock.now
        #expect(first.exit.wait(timeout: 10))
        stopFirst = false

        let second = try fixture.host.start()
        defer { fixture.host.stop(second) }
        // A response the dead host sent just before the kill can be read just after it: count
        // from 100 ms on, which no new host can beat.
        try await log.awaitAcknowledged(after: killed + .milliseconds(100), "a result answered 200 by the new host", timeout: .seconds(60))
        let back = try #require(log.firstAcknowledged(after: killed + .milliseconds(100))) - killed
        #expect(back < .seconds(5), "first 200 after kill -9: \(back)")
        // The new host stops what the dead one left while it starts; give it that time.
        try? await eventually("the dead host's children gone", timeout: .seconds(15)) {
            ![postgres, nats].contains { ProcessProbe.isRunning($0) }
        }
        for child in [postgres, nats] where ProcessProbe.isRunning(child) {
            let log = (try? String(contentsOf: fixture.folder.appendingPathComponent("serve.log"), encoding: .utf8)) ?? ""
            let lines = log.split(separator: "\n").filter { $0.contains("left by") || $0.contains("stale") || $0.contains("PostgreSQL") }
            Issue.record(
                "the dead host's child \(ProcessProbe.describe(child.pid)) still runs; the new host said:\n\(lines.joined(separator: "\n"))"
            )
        }

        // The agents reconnect on their own and answer the host's ping.
        for agent in agents {
            try await eventually("agent \(agent.id) online again", timeout: .seconds(30)) {
                try await fixture.http.call("GET", "/agents/\(agent.id)/ping/", token: admin).json["status"] == "online"
            }
        }
        try await Task.sleep(for: .seconds(1))
        running.withLockedValue { $0 = false }
        try await senders.value

        let stored = try Set(fixture.storedMarkers())
        let acknowledged = log.acknowledged
        let lost = acknowledged.filter { !stored.contains($0) }
        print(
            "HostCrashTests: first 200 \(back) after kill -9; \(acknowledged.count) results answered 200, \(log.refused) not; lost: \(lost.count)"
        )
        #expect(acknowledged.count > 0)
        #expect(lost.isEmpty, "results answered 200 but not stored: \(lost.count) of \(acknowledged.count): \(lost.prefix(20))")
    }
}
