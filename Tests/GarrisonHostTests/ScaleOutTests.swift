import Foundation
import Testing
@testable import GarrisonHost

/// Three `garrison serve` processes, each in its own network namespace, on one PostgreSQL in
/// a fourth, their private nats-servers one cluster found through the database
/// (docs/scale-out.md). Agents are nats-py over each host's /natsws.
@Suite(.serialized) struct ScaleOutTests {
    /// Enroll on A, connect through C at once, operators on A and B reach it; a token logged
    /// out on A is refused on C within 1 s; the agent deleted on B is refused by every node.
    @Test func threeHostsShareAgentsAndRevocations() async throws {
        if let reason = ScaleOutWorld.skipReason {
            print(reason)
            return
        }
        let began = ContinuousClock.now
        let world = try ScaleOutWorld.make(hosts: 3)
        defer { world.tearDown() }
        // A first: it makes the first-run admin; B and C join the database it migrated.
        let a = try world.startHost(0)
        try await world.awaitHealthy(a)
        let b = try world.startHost(1)
        let c = try world.startHost(2)
        try await world.awaitHealthy(b)
        try await world.awaitHealthy(c)
        let hosts = [a, b, c]
        let ready = ContinuousClock.now

        let admin = try await Self.login(a.http, password: try world.adminPassword())
        let site = try await Self.makeSite(a.http, token: admin)

        // Enrolled on A; the agent's first connection goes to C's node, with no retry.
        let agentID = BusTests.agentID()
        let enrolled = try await a.http.call("POST", "/api/v3/newagent/", token: admin, json: AgentAPITests.enrollBody(agentID, site: site))
        let token = try #require(enrolled.json["token"]?.stringValue, "enroll: \(enrolled.text)")
        let once = try Self.connectOnce(world.natsURL(2), agentID, token)
        #expect(once.hasPrefix("connected"), "right after enrolling on A, through C: \(once)")
        let agent = try await CommandAgent.start(url: world.natsURL(2), agentID: agentID, token: token, hello: true)
        defer { agent.stop() }

        // Operators on every host reach it (A and B over the cluster's routes).
        for host in hosts {
            let ping = try await host.http.call("GET", "/agents/\(agentID)/ping/", token: admin)
            #expect(ping.json["status"] == "online", "ping from host \(host.index): \(ping.text)")
            let command = try await host.http.call(
                "POST", "/agents/\(agentID)/cmd/", token: admin, json: ["cmd": .string("uptime \(host.index)"), "shell": "/bin/bash", "timeout": 10])
            #expect(command.status == 200 && command.text.contains("uptime \(host.index)"), "command from host \(host.index): \(command.text)")
        }
        // Each command went to the agent once, whichever host sent it.
        let commands = agent.received.filter { $0.command["func"]?.stringValue == "rawcmd" }
        #expect(commands.count == 3, "rawcmd received \(commands.count) times")

        // Logout on A: C (which has the token cached) refuses it within 1 s.
        let session = try await Self.login(a.http, password: try world.adminPassword())
        #expect(try await c.http.call("GET", "/agents/", token: session).status == 200)
        #expect(try await c.http.call("GET", "/agents/", token: session).status == 200)
        let logout = try await a.http.call("POST", "/logout/", token: session)
        #expect(logout.status == 204, "logout: \(logout.status) \(logout.text)")
        let loggedOut = ContinuousClock.now
        try await eventually("the token refused on C", timeout: .seconds(5)) {
            try await c.http.call("GET", "/agents/", token: session, maxTime: 2).status == 401
        }
        let revoked = ContinuousClock.now - loggedOut
        #expect(revoked < .seconds(1), "logout on A took \(revoked) to reach C")

        // Deleted on B: refused by every node, and the connection through C is closed.
        let deleted = try await b.http.call("DELETE", "/agents/\(agentID)/", token: admin)
        #expect(deleted.status == 200, "delete: \(deleted.text)")
        for host in hosts {
            let refused = try Self.connectOnce(world.natsURL(host.index), agentID, token)
            #expect(refused.hasPrefix("refused"), "after delete on B, through host \(host.index): \(refused)")
        }
        // Login failures count across hosts: five wrong passwords spread over A, B and C, then
        // the next attempt (on any host) waits.
        for attempt in 0..<5 {
            let wrong = try await hosts[attempt % 3].http.call("POST", "/v2/login/", json: ["username": "mallory", "password": .string("guess\(attempt)")])
            #expect(wrong.status == 400, "wrong password \(attempt) on host \(attempt % 3): \(wrong.status) \(wrong.text)")
        }
        for host in hosts {
            let throttled = try await host.http.call("POST", "/v2/login/", json: ["username": "mallory", "password": "again"])
            #expect(throttled.status == 429, "after five failures across hosts, on host \(host.index): \(throttled.status) \(throttled.text)")
        }
        print(
            "ScaleOutTests: 3 hosts healthy in \(ready - began); logout on A refused on C after \(revoked); whole test \(ContinuousClock.now - began)"
        )
    }

    /// The cluster block Garrison writes is one nats-server accepts (`-t`), and carries what
    /// the nodes need: routes with credentials, and no_advertise so that clients stay on their node.
    @Test func clusterConfigIsAcceptedByNATSServer() throws {
        var config = NATSServerConfig(
            clientPort: 4222, websocketPort: 4223, tls: nil, hostUser: "garrison-host", hostPasswordHash: NATSPassword.hash("x")!, agents: [])
        config.cluster = .init(
            host: "127.0.0.1", port: 6222, routeUser: "garrison-route", routePassword: "secret",
            routes: [NATSServerConfig.Cluster.routeURL(user: "garrison-route", password: "secret", address: "10.1.2.3:6222")])
        let json = config.rendered().json
        let cluster = try #require(try JSON.parse(Data(json.utf8))["cluster"])
        #expect(cluster["no_advertise"] == true)
        #expect(cluster["routes"] == ["nats-route://garrison-route:secret@10.1.2.3:6222"])
        #expect(cluster["authorization"]?["user"] == "garrison-route")
        let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("cluster-\(Crypto.randomHex(bytes: 4)).json")
        try json.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let check = try Subprocess.run(try NATSSupervisor.binary(), ["-t", "-c", file.path])
        #expect(check.status == 0, "nats-server -t: \(check.output)")
    }

    static func login(_ http: HTTP, password: String) async throws -> String {
        let login = try await http.call("POST", "/v2/login/", json: ["username": "admin", "password": .string(password)])
        guard let token = login.json["token"]?.stringValue else { throw TestFailure("login: \(login.text)") }
        return token
    }

    static func makeSite(_ http: HTTP, token: String) async throws -> Int {
        let created = try await http.call("POST", "/clients/", token: token, json: ["client": ["name": "Scale Co"], "site": ["name": "HQ"]])
        guard created.status == 200 else { throw TestFailure("client: \(created.text)") }
        let clients = try await http.call("GET", "/clients/", token: token)
        guard let site = clients.json.arrayValue?.first?["sites"]?.arrayValue?.first?["id"]?.intValue else {
            throw TestFailure("sites: \(clients.text)")
        }
        return site
    }

    /// Tests/Fixtures/Bus/connect_once.py: "connected" or "refused: ...".
    static func connectOnce(_ url: String, _ user: String, _ password: String) throws -> String {
        let python = try Subprocess.which("python3") ?? { throw TestFailure("python3 not found") }()
        let script = PackagePaths.root.appendingPathComponent("Tests/Fixtures/Bus/connect_once.py").path
        return try Subprocess.run(python, [script, url, user, password]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension ScaleOutWorld {
    /// An agent's NATS URL through host `index`'s /natsws.
    func natsURL(_ index: Int) -> String { "ws://\(hostAddress(index)):\(hostPort)/natsws" }
}
