import Foundation
import NIOCore
import Testing
@testable import GarrisonHost

/// `wss://HOST/natsws` on the host's own TLS port, carried to nats-server's loopback
/// websocket listener, checked with nats-py's websocket transport as the agent.
@Suite struct NATSWebSocketTests {
    static let upgradeHeaders = [
        "-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-H", "Sec-WebSocket-Version: 13",
        "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    ]

    @Test func enrolledAgentConnectsThroughNatswsPublishesAndAnswersPing() async throws {
        try await TestHost.withAgentActions(configure: { $0.natsEnabled = true }) { host in
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("WS", admin: admin)
            let (agent, other) = (BusTests.agentID(), BusTests.agentID())
            let token = try await host.enroll(agent, site: site, admin: admin)
            _ = try await host.enroll(other, site: site, admin: admin)
            try await host.listening { port in
                let url = "wss://127.0.0.1:\(port)/natsws"
                let directory = BusTests.temporaryDirectory()
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: directory) }
                let ready = directory.appendingPathComponent("ready")
                let python = try #require(Subprocess.which("python3"))
                let hello = BusTests.json(["agent_id": .string(agent), "version": "2.9.7"])
                let log = directory.appendingPathComponent("agent.log")
                let pid = try ChildProcess.spawn(
                    python, [Python.fakeAgent, url, agent, token, "pub", agent, "agent-hello", hello, "serve", agent, "1", ready.path],
                    logFile: log)
                try await eventually("agent subscribed over /natsws") { FileManager.default.fileExists(atPath: ready.path) }

                let ping = try await host.request(.get, "/agents/\(agent)/ping/", as: .token(admin))
                #expect(ping.json["status"] == "online", "\(ping.text)")
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                #expect(output.contains("pub \(agent) ok"), "\(output)")
                #expect(output.contains("served 1"), "\(output)")
                try await eventually("hello written") {
                    try await host.server.storage.pool.query("SELECT version FROM agents WHERE agent_id = $1", [agent]).first?.string(
                        "version") == "2.9.7"
                }

                let wrong = try Python.agent(url, user: agent, password: "not-the-token", ["sub", agent])
                #expect(wrong.status == 2, "\(wrong.lines)")
                let trespass = try Python.agent(
                    url, user: agent, password: token,
                    [
                        "pub", other, "agent-hello", BusTests.json(["agent_id": .string(other), "version": "1"]), "sub", other,
                    ])
                #expect(trespass.lines == ["pub \(other) denied", "sub \(other) denied"])

                // Plain HTTPS on the same port: two requests on one connection, then another
                // connection, while the agent path is in use.
                let status1 = "https://localhost:\(port)/core/status/"
                let both = try await offCooperativePool {
                    try Subprocess.run("/usr/bin/curl", ["-sS", "--cacert", host.certificatePath, status1, status1])
                }
                #expect(both.output.components(separatedBy: "\"status\":\"ok\"").count == 3, "\(both.output)")
                let again = try await offCooperativePool {
                    try Subprocess.run(
                        "/usr/bin/curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", host.certificatePath, status1])
                }
                #expect(again.output == "200")
                // /natsws without the upgrade is an ordinary (unknown) route.
                let plain = try await offCooperativePool {
                    try Subprocess.run(
                        "/usr/bin/curl",
                        [
                            "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", host.certificatePath,
                            "https://localhost:\(port)/natsws",
                        ])
                }
                #expect(plain.output == "404")
            }
        }
    }

    @Test func withoutNATSTheUpgradeIsRefusedWith503() async throws {
        try await TestHost.withAgentActions { host in
            try await host.listening { port in
                let reply = try await offCooperativePool {
                    try Subprocess.run(
                        "/usr/bin/curl",
                        ["-sS", "-m", "5", "--cacert", host.certificatePath, "-w", "\n%{http_code}"] + Self.upgradeHeaders + [
                            "https://localhost:\(port)/natsws"
                        ])
                }
                #expect(reply.output.hasSuffix("\n503"), "\(reply.output)")
                #expect(
                    reply.output.contains("\"detail\":\"/natsws unavailable: the agents' bus is off on this host (nats.enabled = false)\""),
                    "\(reply.output)")
            }
        }
    }

    @Test func whenNatsServerIsDownTheUpgradeIsRefusedWith503() async throws {
        try await TestHost.withAgentActions(configure: { $0.natsEnabled = true }) { host in
            let supervisor = try #require(host.server.bus?.supervisor)
            try await host.listening { port in
                await supervisor.stop()
                let reply = try await offCooperativePool {
                    try Subprocess.run(
                        "/usr/bin/curl",
                        ["-sS", "-m", "5", "--cacert", host.certificatePath, "-w", "\n%{http_code}"] + Self.upgradeHeaders + [
                            "https://localhost:\(port)/natsws"
                        ])
                }
                #expect(reply.output.hasSuffix("\n503"), "\(reply.output)")
                #expect(reply.output.contains("not reachable"), "\(reply.output)")
            }
        }
    }

    @Test func sniffer_decidesOnTheFirstBytes() {
        func verdict(_ text: String) -> NATSWebSocketSniffer.Verdict { NATSWebSocketSniffer.classify(ByteBuffer(string: text)) }
        #expect(verdict("POST /api/v3/newagent/ HTTP/1.1\r\n") == .http)
        #expect(verdict("GET /na") == .undecided)
        #expect(verdict("GET /natsws") == .undecided)
        #expect(verdict("GET /natswsx HTTP/1.1\r\n\r\n") == .http)
        #expect(verdict("GET /natsws HTTP/1.1\r\nHost: a\r\n") == .undecided)
        #expect(verdict("GET /natsws HTTP/1.1\r\nHost: a\r\n\r\n") == .http)
        #expect(verdict("GET /natsws HTTP/1.1\r\nHost: a\r\nUPGRADE: WebSocket\r\nConnection: Upgrade\r\n\r\n") == .natsWebSocket)
        #expect(verdict("GET /natsws?x=1 HTTP/1.1\r\nupgrade:websocket\r\n\r\n") == .natsWebSocket)
    }

    @Test func websocketURLIsParsedWithClearErrors() {
        #expect(NATSWebSocketUpstream.parse("ws://10.0.0.5:9235").0?.host == "10.0.0.5")
        #expect(NATSWebSocketUpstream.parse("ws://[::1]:9235/").0?.host == "::1")
        #expect(NATSWebSocketUpstream.parse("wss://h:1").1?.contains("not supported") == true)
        #expect(NATSWebSocketUpstream.parse("ws://h").1?.contains("port") == true)
    }
}
