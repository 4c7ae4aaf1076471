import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
@testable import GarrisonHost

/// The agent bus against a real nats-server and a real third-party client (nats-py).
@Suite(.serialized) struct BusTests {
    static func agentID() -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return String(Crypto.randomBytes(40).map { letters[Int($0) % letters.count] })
    }

    static func json(_ object: [String: JSON]) -> String { JSON.object(object).databaseText }

    static var logger: Logger {
        var logger = Logger(label: "bus-test")
        logger.logLevel = .warning
        return logger
    }

    static func temporaryDirectory() -> URL {
        URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-bus-\(Crypto.randomHex(bytes: 6))")
    }

    @Test func agentUser_mayUseOnlyItsOwnSubject() async throws {
        let (a, b) = (Self.agentID(), Self.agentID())
        let (tokenA, tokenB) = (Crypto.randomHex(bytes: 20), Crypto.randomHex(bytes: 20))
        let users = [
            NATSServerConfig.AgentUser(agentID: a, passwordHash: NATSPassword.hash(tokenA)!),
            NATSServerConfig.AgentUser(agentID: b, passwordHash: NATSPassword.hash(tokenB)!),
        ]
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let supervisor = try NATSSupervisor(
            settings: .init(directory: directory, clientPort: FreePort.find(), websocketPort: FreePort.find(), tls: nil),
            logger: Self.logger
        ) { users }
        try await supervisor.start()
        do {
            let hello = Self.json(["agent_id": .string(a), "version": "2.9.1"])
            let run = try Python.agent(
                supervisor.url, user: a, password: tokenA,
                [
                    "pub", a, "agent-hello", hello,
                    "pub", "\(a).cmdoutput.1", "x", "\"line\"",
                    "sub", a,
                    "sub", b,
                    "sub", ">",
                    "pub", b, "agent-hello", hello,
                    "pub", "\(b).terminal.1", "x", "\"keys\"",
                ])
            #expect(run.status == 0, "\(run.lines)")
            #expect(
                run.lines == [
                    "pub \(a) ok", "pub \(a).cmdoutput.1 ok", "sub \(a) ok",
                    "sub \(b) denied", "sub > denied", "pub \(b) denied", "pub \(b).terminal.1 denied",
                ])
            let wrongPassword = try Python.agent(supervisor.url, user: a, password: tokenB, ["sub", a])
            #expect(wrongPassword.status == 2, "\(wrongPassword.lines)")
        } catch {
            await supervisor.stop()
            throw error
        }
        await supervisor.stop()
    }

    @Test func request_reachesTheAgentAndTellsTimeoutFromNATSDown() async throws {
        let a = Self.agentID()
        let token = Crypto.randomHex(bytes: 20)
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let users = [NATSServerConfig.AgentUser(agentID: a, passwordHash: NATSPassword.hash(token)!)]
        let supervisor = try NATSSupervisor(
            settings: .init(directory: directory, clientPort: FreePort.find(), websocketPort: FreePort.find(), tls: nil),
            logger: Self.logger
        ) { users }
        try await supervisor.start()
        let connection = try NATSConnection.connect(
            .init(url: supervisor.url, user: supervisor.hostUser, password: supervisor.hostPassword), logger: Self.logger)
        do {
            try await eventually("host connected") { connection.isConnected }
            let ready = directory.appendingPathComponent("agent-ready")
            let python = try #require(Subprocess.which("python3"))
            let agent = try ChildProcess.spawn(
                python, [Python.fakeAgent, supervisor.url, a, token, "serve", a, "1", ready.path],
                logFile: directory.appendingPathComponent("agent.log"))
            try await eventually("fake agent subscribed") { FileManager.default.fileExists(atPath: ready.path) }

            let reply = await connection.request(a, AgentCommand("ping").encoded(), timeout: .seconds(5))
            #expect(reply == .reply(MsgPackEncoder.encode("pong")))
            var status: Int32 = 0
            waitpid(agent, &status, 0)

            // Nobody subscribed: the server says so at once, and it reads as a timeout.
            let started = ContinuousClock.now
            #expect(await connection.request(Self.agentID(), AgentCommand("ping").encoded(), timeout: .seconds(5)) == .timeout)
            #expect(started.duration(to: .now) < .seconds(4))

            // Someone subscribed who never answers: the request's own deadline ends the wait.
            let silent = "silent.\(Self.agentID())"
            try connection.subscribe(silent) { _ in }
            let waited = ContinuousClock.now
            #expect(await connection.request(silent, AgentCommand("ping").encoded(), timeout: .milliseconds(300)) == .timeout)
            let took = waited.duration(to: .now)
            #expect(took >= .milliseconds(300) && took < .seconds(3), "a 300 ms request timed out after \(took)")
        } catch {
            connection.close()
            await supervisor.stop()
            throw error
        }
        await supervisor.stop()
        try await eventually("host noticed the server is gone") { !connection.isConnected }
        #expect(await connection.request(a, AgentCommand("ping").encoded(), timeout: .seconds(1)) == .natsDown)
        connection.close()
    }

    /// Seeds an agent row with a NATS password (as enrollment will) and returns its token.
    static func seedAgent(_ host: TestHost, _ id: String, site: Int) async throws -> String {
        let token = Crypto.randomHex(bytes: 20)
        try await host.seedAgent(id, hostname: "seeded", site: site, lastSeenMinutesAgo: nil)
        try await host.server.storage.pool.query(
            "UPDATE agents SET nats_password = $2 WHERE agent_id = $1", [id, NATSPassword.hash(token)])
        return token
    }

    @Test func telemetry_updatesTheRow_andBadMessagesAreDropped() async throws {
        try await TestHost.with(configure: { $0.natsEnabled = true }) { host in
            let bus = try #require(host.server.bus)
            let supervisor = try #require(bus.supervisor)
            let (_, site) = try await host.client("Bus", admin: try await host.adminToken())
            let (a, b) = (Self.agentID(), Self.agentID())
            let token = try await Self.seedAgent(host, a, site: site)
            _ = try await Self.seedAgent(host, b, site: site)
            let seen = NIOLockedValueBox<[String]>([])
            host.server.context.events.subscribe(owner: "test", pattern: "*") { event in
                if event.name == "agent.online" || event.name == "test.marker" {
                    seen.withLockedValue { $0.append(event.name + " " + event.json) }
                }
            }
            await bus.agentsChanged()
            try await eventually("agent user loaded") {
                try Python.agent(supervisor.url, user: a, password: token, ["sub", a]).status == 0
            }

            let str: (String) -> JSON = { .string($0) }
            let run = try Python.agent(
                supervisor.url, user: a, password: token,
                [
                    "raw", a, "agent-hello", "c1c1c1",
                    "pub", a, "agent-hello", Self.json(["agent_id": str(b), "version": "6.6.6"]),
                    "pub", a, "agent-hello", Self.json(["agent_id": str(a), "version": 7]),
                    "pub", a, "agent-hello", Self.json(["agent_id": str(a), "version": "2.9.1"]),
                    "pub", a, "agent-agentinfo",
                    Self.json([
                        "agent_id": str(a), "logged_in_username": "alice", "hostname": "web-1", "operating_system": "Debian 12 x86_64",
                        "plat": "linux", "total_ram": 15.6, "boot_time": 1_700_000_000, "needs_reboot": true, "goarch": "amd64",
                    ]),
                    "pub", a, "agent-disks",
                    Self.json([
                        "agent_id": str(a),
                        "disks": [
                            ["device": "/dev/sda1", "fstype": "ext4", "total": "100 GB", "used": "50 GB", "free": "50 GB", "percent": 50]
                        ],
                    ]),
                    "pub", a, "agent-winsvc", Self.json(["agent_id": str(a), "services": []]),
                    "pub", a, "agent-publicip", Self.json(["agent_id": str(a), "public_ip": "203.0.113.7"]),
                    "pub", a, "agent-wmi", Self.json(["agent_id": str(a), "wmi": ["make_model": "QEMU", "cpus": ["x"]]]),
                    "pub", a, "not-telemetry", Self.json(["agent_id": str(a)]),
                ])
            #expect(run.status == 0, "\(run.lines)")
            try await eventually("telemetry written") { bus.telemetry.currentCounts.written >= 6 }
            #expect(bus.telemetry.currentCounts.rejected == 3)

            let row = try #require(
                try await host.server.storage.pool.query(
                    """
                    SELECT version, hostname, operating_system, plat, goarch, total_ram, boot_time, needs_reboot, logged_in_username, last_logged_in_user,
                           public_ip, disks, services, wmi_detail, last_seen > now() - interval '1 minute' AS fresh FROM agents WHERE agent_id = $1
                    """, [a]
                ).first)
            #expect(
                row.string("version") == "2.9.1" && row.string("hostname") == "web-1" && row.string("plat") == "linux"
                    && row.string("goarch") == "amd64")
            #expect(row.int("total_ram") == 16 && row.double("boot_time") == 1_700_000_000 && row.bool("needs_reboot"))
            #expect(
                row.string("logged_in_username") == "alice" && row.string("last_logged_in_user") == "alice"
                    && row.string("public_ip") == "203.0.113.7")
            #expect(row.bool("fresh"))
            #expect(try JSON.parse(Data(row.string("disks").utf8)).arrayValue?.first?["device"] == "/dev/sda1")
            #expect(try JSON.parse(Data(row.string("wmi_detail").utf8))["make_model"] == "QEMU")
            let other = try #require(
                try await host.server.storage.pool.query("SELECT version, last_seen FROM agents WHERE agent_id = $1", [b]).first)
            #expect(other.string("version") == "" && other["last_seen"] == nil)

            // Online once: a second hello from an agent already online announces nothing.
            let again = try Python.agent(
                supervisor.url, user: a, password: token, ["pub", a, "agent-hello", Self.json(["agent_id": str(a), "version": "2.9.1"])])
            #expect(again.status == 0)
            try await eventually("second hello written") { bus.telemetry.currentCounts.written >= 7 }
            host.server.context.events.publish("test.marker", [:])
            try await eventually("events delivered") { seen.withLockedValue { $0.last?.hasPrefix("test.marker") ?? false } }
            #expect(seen.withLockedValue { $0 } == ["agent.online {\"agent_id\":\"\(a)\"}", "test.marker {}"])
        }
    }

    @Test func killedServer_isRestarted_andTheHostReconnects() async throws {
        try await TestHost.with(configure: { $0.natsEnabled = true }) { host in
            let bus = try #require(host.server.bus)
            let supervisor = try #require(bus.supervisor)
            let (_, site) = try await host.client("Restart", admin: try await host.adminToken())
            let a = Self.agentID()
            let token = try await Self.seedAgent(host, a, site: site)
            let first = try #require(await supervisor.runningPID)
            kill(first, SIGKILL)
            try await eventually("a new nats-server") { if let pid = await supervisor.runningPID { pid != first } else { false } }
            try await eventually("host reconnected") { bus.connection.isConnected }
            // The restarted server read the agents afresh, and the host's subscription is back.
            try await eventually("agent accepted") { try Python.agent(supervisor.url, user: a, password: token, ["sub", a]).status == 0 }
            let run = try Python.agent(
                supervisor.url, user: a, password: token,
                ["pub", a, "agent-hello", Self.json(["agent_id": .string(a), "version": "2.9.1"])])
            #expect(run.status == 0)
            try await eventually("hello written after the restart") {
                try await host.server.storage.pool.query("SELECT version FROM agents WHERE agent_id = $1", [a]).first?.string("version")
                    == "2.9.1"
            }
        }
    }
}

extension BusTests {
    /// The installer connects to NATS right after newagent answers: the user must already exist.
    @Test func enrolledAgent_canConnectAtOnce() async throws {
        try await TestHost.with(configure: { $0.natsEnabled = true }) { host in
            let supervisor = try #require(host.server.bus?.supervisor)
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Install", admin: admin)
            let agentID = Self.agentID()
            let enrolled = try await host.request(
                .post, "/api/v3/newagent/", as: .token(admin), json: AgentAPITests.enrollBody(agentID, site: site))
            let token = try #require(enrolled.json["token"]?.stringValue)
            let run = try Python.agent(
                supervisor.url, user: agentID, password: token,
                ["sub", agentID, "pub", agentID, "agent-hello", Self.json(["agent_id": .string(agentID), "version": "2.9.1"])])
            #expect(run.status == 0 && run.lines == ["sub \(agentID) ok", "pub \(agentID) ok"], "\(run.lines)")
        }
    }
}

extension BusTests {
    @Test func deletedAgent_losesItsNATSUser() async throws {
        try await TestHost.with(configure: { $0.natsEnabled = true }) { host in
            let supervisor = try #require(host.server.bus?.supervisor)
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Delete", admin: admin)
            let agentID = Self.agentID()
            let enrolled = try await host.request(
                .post, "/api/v3/newagent/", as: .token(admin), json: AgentAPITests.enrollBody(agentID, site: site))
            let token = try #require(enrolled.json["token"]?.stringValue)
            #expect(try Python.agent(supervisor.url, user: agentID, password: token, ["sub", agentID]).status == 0)
            #expect(try await host.request(.delete, "/agents/\(agentID)/", as: .token(admin)).status == 200)
            #expect(try Python.agent(supervisor.url, user: agentID, password: token, ["sub", agentID]).status == 2)
        }
    }
}

extension BusTests {
    /// nats.tls_port: agents installed with -natsport dial tls://host:port; the listener is on
    /// every address, so it takes TLS only, and the host itself connects to it with TLS too.
    @Test func tlsPort_servesAgentsOverTLS() async throws {
        let tlsPort = FreePort.find()
        try await TestHost.with(configure: {
            $0.natsEnabled = true; $0.natsTLSPort = tlsPort
        }) { host in
            let bus = try #require(host.server.bus)
            try await eventually("host connected") { bus.connection.isConnected }
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("TLS", admin: admin)
            let agentID = Self.agentID()
            let enrolled = try await host.request(
                .post, "/api/v3/newagent/", as: .token(admin), json: AgentAPITests.enrollBody(agentID, site: site))
            let token = try #require(enrolled.json["token"]?.stringValue)
            let run = try Python.agent(
                "tls://127.0.0.1:\(tlsPort)", user: agentID, password: token,
                ["pub", agentID, "agent-hello", Self.json(["agent_id": .string(agentID), "version": "2.9.1-tls"])])
            // (asyncio may add a warning line about the TLS close.)
            #expect(run.status == 0 && run.lines.first == "pub \(agentID) ok", "\(run.lines)")
            try await eventually("hello over TLS written") {
                try await host.server.storage.pool.query("SELECT version FROM agents WHERE agent_id = $1", [agentID]).first?.string(
                    "version") == "2.9.1-tls"
            }
            // Plain text to the same port is refused, credentials or not.
            let plain = try Python.agent(
                "nats://127.0.0.1:\(tlsPort)", user: agentID, password: token,
                ["pub", agentID, "agent-hello", Self.json(["agent_id": .string(agentID), "version": "2.9.1-plain"])])
            #expect(!plain.lines.contains("pub \(agentID) ok"), "\(plain.lines)")
            #expect(
                try await host.server.storage.pool.query("SELECT version FROM agents WHERE agent_id = $1", [agentID]).first?.string(
                    "version") == "2.9.1-tls")
        }
    }
}
