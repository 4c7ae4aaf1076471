import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
@testable import GarrisonHost

/// A real host on its own database, driven in-process through the same dispatcher the
/// listener uses. `adminPassword` is the first-run password the host printed.
struct TestHost: Sendable {
    let server: GarrisonHostServer
    let adminPassword: String
    let client: any TestClientProtocol

    static func config(_ conninfo: String, data: URL) -> GarrisonConfig {
        var config = GarrisonConfig()
        config.databaseURL = conninfo
        config.dataDirectory = data.path
        config.databasePoolSize = 4
        config.serverHost = "127.0.0.1"
        config.serverPort = 0
        // Not the repository's plugins.d: a test loads exactly the plugins it names.
        config.pluginsDirectory = data.appendingPathComponent("plugins.d").path
        // Most tests need no agents; the bus tests turn it on (and get their own nats-server).
        config.natsEnabled = false
        return config
    }

    /// Runs `body` against a fresh host, then shuts it down and removes its data folder.
    /// `database` is a libpq conninfo of a database to serve (an upgrade test's); by default a
    /// fresh, empty one.
    static func with<T: Sendable>(
        database: String? = nil, configure: (inout GarrisonConfig) -> Void = { _ in }, _ body: @Sendable (TestHost) async throws -> T
    ) async throws -> T {
        let conninfo: String
        if let database { conninfo = database } else { conninfo = try await TestCluster.shared.createDatabase() }
        let data = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-test-\(Crypto.randomHex(bytes: 6))")
        defer { try? FileManager.default.removeItem(at: data) }
        var config = config(conninfo, data: data)
        configure(&config)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let server = try await GarrisonHostServer.start(config: config, logger: logger, hasher: .fastForTests)
        // None when the database already had users (an upgrade test's).
        let password = ((try? String(contentsOf: data.appendingPathComponent("initial-admin-password"), encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            let app = Application(
                responder: server.dispatcher, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
            let result = try await app.test(.router) { client in
                try await body(TestHost(server: server, adminPassword: password, client: client))
            }
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    struct Reply: Sendable {
        let status: Int
        let json: JSON
        let headers: HTTPFields
        let text: String
        /// The body's bytes (binary answers: installers, downloads).
        var body = Data()
    }

    enum Credential: Sendable { case none, token(String), apiKey(String) }

    @discardableResult
    func request(
        _ method: HTTPRequest.Method, _ path: String, as credential: Credential = .none, json: JSON? = nil, rawBody: String? = nil,
        headers extra: [String: String] = [:]
    ) async throws -> Reply {
        var headers = HTTPFields()
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        switch credential {
        case .none: break
        case .token(let token): headers[.authorization] = "Token \(token)"
        case .apiKey(let key): headers[HTTPField.Name("X-API-KEY")!] = key
        }
        var body: ByteBuffer?
        if let json { body = ByteBuffer(data: json.serialized()); headers[.contentType] = "application/json" }
        if let rawBody { body = ByteBuffer(string: rawBody); headers[.contentType] = "application/json" }
        let response = try await client.executeRequest(uri: path, method: method, headers: headers, body: body)
        let text = String(buffer: response.body)
        let parsed = (try? JSON.parse(Data(text.utf8))) ?? .null
        return Reply(
            status: Int(response.status.code), json: parsed, headers: response.headers, text: text,
            body: Data(response.body.readableBytesView))
    }

    /// Logs in through the two-step flow and returns the token.
    func login(_ username: String, _ password: String) async throws -> String {
        let reply = try await request(.post, "/v2/login/", json: ["username": .string(username), "password": .string(password)])
        guard reply.status == 200, let token = reply.json["token"]?.stringValue else {
            throw TestFailure("login of \(username) failed: \(reply.status) \(reply.text)")
        }
        return token
    }

    func adminToken() async throws -> String { try await login("admin", adminPassword) }

    /// Creates a role with `permissions` (and optional scope) and a user in it; returns its token.
    func user(_ name: String, permissions: [String], clients: [Int] = [], sites: [Int] = [], admin: String) async throws -> String {
        var role: [String: JSON] = ["name": .string("role-\(name)"), "can_view_clients": .init(clients), "can_view_sites": .init(sites)]
        for permission in permissions { role[permission] = true }
        let created = try await request(.post, "/accounts/roles/", as: .token(admin), json: .object(role))
        guard created.status == 200, let roleID = created.json["id"]?.intValue else { throw TestFailure("role: \(created.text)") }
        let user = try await request(
            .post, "/accounts/users/", as: .token(admin),
            json: ["username": .string(name), "password": .string("password-\(name)"), "role": .init(roleID)])
        guard user.status == 200 else { throw TestFailure("user: \(user.text)") }
        return try await login(name, "password-\(name)")
    }

    /// Inserts agents directly: enrollment arrives with the agent protocol, and these tests
    /// only need rows to list and scope.
    func seedAgent(_ agentID: String, hostname: String, site: Int, lastSeenMinutesAgo: Int? = 1, type: String = "server") async throws {
        try await server.storage.pool.query(
            """
            INSERT INTO agents (agent_id, hostname, site_id, client_id, monitoring_type, last_seen)
            SELECT $1, $2, s.id, s.client_id, $4, CASE WHEN $5::int IS NULL THEN NULL ELSE now() - make_interval(mins => $5::int) END FROM sites s WHERE s.id = $3
            """, [agentID, hostname, String(site), type, lastSeenMinutesAgo.map(String.init)])
    }

    /// Creates a client with one site; returns (client id, site id).
    func client(_ name: String, admin: String) async throws -> (Int, Int) {
        let created = try await request(
            .post, "/clients/", as: .token(admin), json: ["client": ["name": .string(name)], "site": ["name": "HQ"]])
        guard created.status == 200 else { throw TestFailure("client: \(created.text)") }
        let row = try await server.storage.pool.query(
            "SELECT c.id AS client, s.id AS site FROM clients c JOIN sites s ON s.client_id = c.id WHERE c.name = $1", [name]
        ).first!
        return (row.int("client"), row.int("site"))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
