import AgentEmulator
import Foundation
import Logging
import NIOCore
import Testing
@testable import GarrisonHost

/// The agent emulator against a real host: enrollment over REST, NATS over wss /natsws,
/// telemetry the host ingests, commands answered, and its msgpack read by Python's.
@Suite struct AgentEmulatorTests {
    /// Subscribes as the host's own NATS user and prints, per message on SUBJECT, the reply
    /// tag, the payload decoded by Python's msgpack as JSON, and whether any str8 (0xd9)
    /// header appears (ugorji never writes one).
    static let listener = """
        import asyncio, json, sys, msgpack, nats
        async def main():
            url, user, password, subject, count, ready = sys.argv[1:7]
            nc = await nats.connect(url, user=user, password=password)
            got = []
            done = asyncio.Event()
            async def cb(msg):
                got.append(msg)
                if len(got) >= int(count): done.set()
            await nc.subscribe(subject, cb=cb)
            await nc.flush()
            open(ready, "w").close()
            await asyncio.wait_for(done.wait(), 20)
            for msg in got:
                print(msg.reply, json.dumps(msgpack.unpackb(msg.data, raw=False), sort_keys=True), "str8" if b"\\xd9" in msg.data else "nostr8", flush=True)
            await nc.close()
        asyncio.run(main())
        """

    @Test func fleetEnrollsConnectsPublishesAndAnswers() async throws {
        try await TestHost.withAgentActions(configure: { $0.natsEnabled = true }) { host in
            let supervisor = try #require(host.server.bus?.supervisor)
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Emu", admin: admin)
            try await host.listening { port in
                var settings = AgentFleet.Settings(target: NATSWebSocketTarget(host: "127.0.0.1", port: port))
                settings.sendStartup = true
                let fleet = try AgentFleet(settings: settings, threads: 1, logger: Logger(label: "emu"))
                let agents = try await fleet.enroll(
                    3, site: site, host: "127.0.0.1", port: port, authorization: [("Authorization", "Token \(admin)")])
                #expect(agents.count == 3)
                let first = try #require(agents.first)

                let directory = BusTests.temporaryDirectory()
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: directory) }
                let ready = directory.appendingPathComponent("ready")
                let log = directory.appendingPathComponent("listener.log")
                let python = try #require(Subprocess.which("python3"))
                let pid = try ChildProcess.spawn(
                    python,
                    ["-c", Self.listener, supervisor.url, supervisor.hostUser, supervisor.hostPassword, first.agentID, "6", ready.path],
                    logFile: log)
                try await eventually("python listener subscribed") { FileManager.default.fileExists(atPath: ready.path) }

                let failures = await fleet.connect(agents)
                #expect(failures.isEmpty, "\(failures)")
                #expect(fleet.stats.snapshot.connected == 3)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                let lines = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
                #expect(lines.count == 6, "\(lines)")
                #expect(lines.first == "agent-hello {\"agent_id\": \"\(first.agentID)\", \"version\": \"2.9.1\"} nostr8", "\(lines)")
                #expect(
                    lines.map { String($0.prefix { $0 != " " }) } == [
                        "agent-hello", "agent-agentinfo", "agent-disks", "agent-winsvc", "agent-publicip", "agent-wmi",
                    ])
                #expect(lines.allSatisfy { $0.hasSuffix(" nostr8") })

                // The host took the startup telemetry (agentinfo sets the platform and hostname).
                try await eventually("agentinfo written") {
                    try await host.server.storage.pool.query("SELECT plat FROM agents WHERE agent_id = $1", [first.agentID]).first?.string(
                        "plat") == "linux"
                }
                for agent in agents {
                    let ping = try await host.request(.get, "/agents/\(agent.agentID)/ping/", as: .token(admin))
                    #expect(ping.json["status"] == "online", "\(ping.text)")
                }
                // Another command through the bus, with a map reply.
                let reply = await host.server.bus!.connection.request(
                    first.agentID, AgentCommand("runscriptfull", fields: ["id": 42]).encoded(), timeout: .seconds(5))
                guard case .reply(let bytes) = reply else { Issue.record("no answer: \(reply)"); return }
                let answer = try MsgPackDecoder.decode(bytes)
                #expect(answer["id"]?.intValue == 42)
                #expect(answer["retcode"]?.intValue == 0)
                // The emulator counts a reply after sending it: the answer can arrive first.
                try await eventually("replies counted") { fleet.stats.snapshot.replies >= 4 }
                await fleet.shutdown()
            }
        }
    }

    @Test func agentEncodingUsesTheRawStringFamily() throws {
        let long = String(repeating: "a", count: 40)
        let bytes = Array(AgentMsgPack.encode(.object(["k": .string(long), "n": 200, "m": -5])).readableBytesView)
        #expect(bytes[0] == 0x83)
        #expect(Array(bytes[1...2]) == [0xa1, UInt8(ascii: "k")])
        #expect(Array(bytes[3...5]) == [0xda, 0x00, 40])
        let decoded = try MsgPackDecoder.decode(bytes)
        #expect(decoded["k"]?.stringValue == long)
        #expect(decoded["n"]?.intValue == 200)
        #expect(decoded["m"]?.intValue == -5)
    }
}
