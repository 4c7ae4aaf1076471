import ArgumentParser
import Foundation
import GarrisonHost
import MeshCentralCore

/// `garrison-bench meshcentral`: the MeshCentral bridge's three figures.
///
/// 1. In process: signing one `?login=` token (AES-256-CBC over the SHA3-384 prefix and the
///    claims, OpenSSL), and one control-socket `auth=` cookie (AES-256-GCM) for comparison.
/// 2. A full user/permission sync of `users` operators over `nodes` devices, spread over
///    `groups` device groups, against the control.ashx stand-in of the tests
///    (Tests/Fixtures/MeshCentral/control_standin.py, in its quiet mode), from a MeshCentral
///    that knows none of them: the run's own record (started to finished in
///    plugin_meshcentral.sync_runs: reading operators and agents from the host, users and
///    nodes from MeshCentral, planning, sending every command, and MeshCentral's
///    acknowledgement). Then a second run with nothing to change. The end state is checked
///    against the links PostgreSQL computes from the roles.
/// 3. GET /agents/<agent_id>/meshcentral/ (take control) through a real host over TLS, with
///    wrk: one connection for the latency, then 16 for load.
///
/// Build first: swift build -c release --product garrison-bench && swift build -c release --product MeshCentralPlugin
struct MeshCentralBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshcentral", abstract: "Login-token signing time, full sync time, take-control route latency.")

    @Option(help: "Tokens signed for the in-process figure.") var iterations = 200_000
    @Option(help: "Operators with can_use_mesh in the sync.") var users = 500
    @Option(help: "Devices (agents with a mesh node id) in the sync.") var nodes = 2_000
    @Option(help: "Device groups the devices are spread over in MeshCentral.") var groups = 2_000
    @Option(help: "Seconds per wrk run.") var seconds = 10

    func run() async throws {
        print("garrison-bench meshcentral: 2 cores shared by the server, PostgreSQL, the Python stand-in and wrk")
        try tokenFigures()
        try await hostFigures()
    }

    func tokenFigures() throws {
        let key = try MeshKey(hex: (0..<80).map { String(format: "%02x", $0) }.joined())
        let now = Int(Date().timeIntervalSince1970)
        var length = 0
        // Warm-up, so the figure is the steady cost and not OpenSSL's first-use setup.
        for _ in 0..<1_000 { length &+= try MeshTokens.login(key: key, user: "user//tech___4", time: now).utf8.count }
        let login = try ContinuousClock().measure {
            for _ in 0..<iterations { length &+= try MeshTokens.login(key: key, user: "user//tech___4", time: now).utf8.count }
        }
        let auth = try ContinuousClock().measure {
            for _ in 0..<iterations { length &+= try MeshTokens.auth(key: key, user: "mesh_api", time: now).utf8.count }
        }
        precondition(length > 0)
        print(
            String(
                format: "login token (?login=, AES-256-CBC + SHA3-384 prefix): %.2f µs each (mean of %d; target < 50 µs)",
                login.seconds * 1e6 / Double(iterations), iterations))
        print(
            String(
                format: "control socket cookie (auth=, AES-256-GCM): %.2f µs each (mean of %d)", auth.seconds * 1e6 / Double(iterations),
                iterations))
    }

    func hostFigures() async throws {
        let library = try BenchHost.builtPlugin("MeshCentralPlugin")
        let port = try Self.freePort()
        let host = try await BenchHost.start { config in
            try? BenchHost.enable(
                library, file: "70-meshcentral.toml",
                rest: """
                    enabled = true
                    required = true
                    [settings]
                    control_url = "ws://127.0.0.1:\(port)"
                    installer_url = "http://127.0.0.1:\(port)"
                    timeout_seconds = 10
                    sync_timeout_seconds = 600
                    """, in: config.pluginsDirectory)
        }
        let pool = host.server.storage.pool
        let (users, nodes, groups) = (self.users, self.nodes, self.groups)
        // The fleet of the other benches, every agent with a node id; ten roles with
        // can_use_mesh: one over every client, nine over ten clients each; the operators
        // spread over them.
        try await pool.transaction { c in
            try BenchSeed.fleet(c, agents: nodes)
            try c.query("UPDATE agents SET mesh_node_id = upper(encode(sha384(convert_to(agent_id, 'UTF8')), 'hex'))")
            try c.query(
                """
                INSERT INTO roles (name, permissions, can_view_clients)
                SELECT 'mesh-role-' || k, '{can_use_mesh,can_list_agents}',
                       CASE WHEN k = 0 THEN '{}'::bigint[]
                            ELSE (SELECT array_agg(id) FROM (SELECT id FROM clients ORDER BY id OFFSET k * 10 LIMIT 10) b) END
                FROM generate_series(0, 9) k
                """)
            try c.query(
                """
                INSERT INTO users (username, first_name, last_name, password_hash, role_id)
                SELECT 'Tech ' || g, 'Tech', 'Number ' || g, '!', (SELECT id FROM roles WHERE name = 'mesh-role-' || (g % 10))
                FROM generate_series(1, $1::int) g
                """, [String(users)])
        }
        let expected = try await pool.query(
            """
            SELECT count(*) AS n FROM agents a CROSS JOIN users u LEFT JOIN roles r ON r.id = u.role_id
            WHERE a.mesh_node_id <> '' AND u.is_active AND NOT u.block_dashboard_login AND NOT u.is_installer_user
              AND (u.is_superuser OR coalesce(r.is_superuser, false)
                   OR (r.permissions @> '{can_use_mesh}' AND ((cardinality(r.can_view_clients) = 0 AND cardinality(r.can_view_sites) = 0)
                       OR a.client_id = ANY(r.can_view_clients) OR a.site_id = ANY(r.can_view_sites))))
            """
        ).first!.int("n")
        let nodeIDs = try await pool.query("SELECT mesh_node_id FROM agents ORDER BY agent_id").rows.map { $0.string("mesh_node_id") }
        let standIn = try StandIn.start(port: port, nodes: nodeIDs, groups: groups)
        defer { standIn.stop() }

        // Setting MeshCentral up is a change of the global settings, which starts a sync.
        let key = String(repeating: "0f", count: 80)
        let put = try Subprocess.run(
            "/usr/bin/curl",
            [
                "-sk", "--max-time", "30", "-X", "PUT", "-H", "Content-Type: application/json", "-H", "Authorization: Token \(host.token)", "-d",
                "{\"mesh_site\":\"https://mesh.example.com\",\"mesh_username\":\"meshapi\",\"mesh_token\":\"\(key)\"}",
                "\(host.base)/core/settings/",
            ])
        guard put.output.contains("Settings were edited") else { throw BenchError("settings: \(put.output)") }
        let first = try await Self.finishedRun(pool, after: 0)
        let links = standIn.managedLinks()
        print(
            String(
                format:
                    "full sync, %d operators (+ admin) x %d devices in %d device groups, from an empty MeshCentral: %.2f s (%d commands, %d links; expected %d; ok %@; target < 10 s)",
                users, nodes, groups, first.seconds, first.commands, links, expected, first.ok ? "yes" : "no: \(first.error)"))
        guard first.ok, links == expected else { throw BenchError("the sync did not reach the expected state") }
        _ = try Subprocess.run(
            "/usr/bin/curl",
            [
                "-sk", "--max-time", "30", "-X", "PUT", "-H", "Content-Type: application/json", "-H", "Authorization: Token \(host.token)", "-d",
                "{\"mesh_device_group\":\"TacticalRMM\"}", "\(host.base)/core/settings/",
            ])
        let second = try await Self.finishedRun(pool, after: first.id)
        print(String(format: "sync with nothing to change (same fleet): %.2f s (%d commands)", second.seconds, second.commands))

        let agent = try await pool.query("SELECT agent_id FROM agents ORDER BY agent_id LIMIT 1").first!.string("agent_id")
        let url = "\(host.base)/agents/\(agent)/meshcentral/"
        let check = try Subprocess.run("/usr/bin/curl", ["-sk", "-H", "Authorization: Token \(host.token)", url])
        guard check.output.contains("viewmode=11") else { throw BenchError("take control: \(check.output)") }
        for connections in [1, 16] {
            let result = try WrkResult.run(url: url, token: host.token, threads: connections == 1 ? 1 : 2, connections: connections, seconds: seconds)
            print(
                "GET /agents/<agent_id>/meshcentral/ (take control), TLS keep-alive, wrk -c\(connections): p50 \(result.p50), p99 \(result.p99), \(Int(result.requestsPerSecond)) req/s, non-2xx \(result.non2xx)\(connections == 1 ? " (target p99 < 10 ms)" : "")"
            )
        }
        await host.stop()
    }

    struct Run {
        let id: Int
        let seconds: Double
        let commands: Int
        let ok: Bool
        let error: String
    }

    /// The first sync run with id above `after` to finish (waits up to ten minutes).
    static func finishedRun(_ pool: DatabasePool, after: Int) async throws -> Run {
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline {
            if let row = try await pool.query(
                """
                SELECT id, extract(epoch FROM finished - started)::float8::text AS s, coalesce(commands, 0) AS commands,
                       coalesce(ok, false) AS ok, coalesce(error, '') AS error
                FROM plugin_meshcentral.sync_runs WHERE id > $1 AND finished IS NOT NULL ORDER BY id LIMIT 1
                """, [String(after)]
            ).first {
                return Run(
                    id: row.int("id"), seconds: Double(row.string("s")) ?? -1, commands: row.int("commands"), ok: row.bool("ok"),
                    error: row.string("error"))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("no sync run finished within ten minutes")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw BenchError("bind: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The tests' control.ashx stand-in, quiet: no command log, its state written when asked for users.
    struct StandIn {
        let pid: pid_t
        let directory: URL

        static func start(port: Int, nodes: [String], groups: Int) throws -> StandIn {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-bench-mesh-\(getpid())")
            try? FileManager.default.removeItem(at: directory)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: ["nodes": nodes, "groups": groups, "quiet": true]).write(
                to: directory.appendingPathComponent("seed.json"))
            guard let python = Subprocess.which("python3") else { throw BenchError("python3 is not installed") }
            let pid = try BenchSpawn.start(
                python,
                [
                    root.appendingPathComponent("Tests/Fixtures/MeshCentral/control_standin.py").path, String(port),
                    String(repeating: "0f", count: 80), "meshapi", directory.path, "ok",
                ], log: directory.appendingPathComponent("log").path, name: "the stand-in")
            let standIn = StandIn(pid: pid, directory: directory)
            for _ in 0..<200 {
                if FileManager.default.fileExists(atPath: directory.appendingPathComponent("ready").path) { return standIn }
                usleep(50_000)
            }
            let log = (try? String(contentsOf: directory.appendingPathComponent("log"), encoding: .utf8)) ?? ""
            standIn.stop()
            throw BenchError("the stand-in did not start (scripts/install-deps.sh installs websockets and pycryptodome): \(log)")
        }

        /// Links of Garrison's users (ids ending in ___<digits>) on all nodes.
        func managedLinks() -> Int {
            guard let data = try? Data(contentsOf: directory.appendingPathComponent("state.json")),
                let state = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let nodes = state["nodes"] as? [String: [String: Any]]
            else { return -1 }
            return nodes.values.reduce(0) { sum, node in
                sum + ((node["links"] as? [String: Any])?.keys.filter { $0.range(of: #"___\d+$"#, options: .regularExpression) != nil }.count ?? 0)
            }
        }

        func stop() {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            try? FileManager.default.removeItem(at: directory)
        }
    }
}
