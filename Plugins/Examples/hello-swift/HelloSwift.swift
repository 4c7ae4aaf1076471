import PluginKit
import Synchronization

/// hello-swift -- a template for Garrison plugins written in Swift.
///
///   GET  /hello-swift/          {"greeting":"<settings.greeting>","plugin":"hello-swift"}
///   POST /hello-swift/          {"name":".."} stored in its own table; answers
///                               {"id":N,"stored":".."} from the database's reply
///   GET  /hello-swift/events/   {"events":N}, the agent.* events seen
///
/// Copy the directory, rename the module and the plugin, and keep
/// Entry.swift's one line.
final class HelloSwift: GarrisonPlugin {
    static let name: StaticString = "hello-swift"
    static let version: StaticString = "0.1.0"

    /// The [settings] table of plugins.d/..-hello-swift.toml. A missing key
    /// refuses to start, with the key's name in the host log.
    struct Settings: Decodable {
        let greeting: String
    }

    let host: PluginHost
    let settings: Settings
    let events = Atomic<Int>(0)

    init(host: PluginHost) throws {
        self.host = host
        self.settings = try host.settings(Settings.self)
    }

    func register(_ r: Registrar) throws {
        try r.migration(
            version: 1,
            sql: """
                CREATE TABLE greetings (
                    id serial PRIMARY KEY,
                    name text NOT NULL,
                    at timestamptz NOT NULL DEFAULT now())
                """)

        try r.route(.get, "/hello-swift/", permission: "can_view_core_settings") { _ in
            try .json(Greeting(greeting: self.settings.greeting, plugin: "hello-swift"))
        }
        try r.route(.post, "/hello-swift/", permission: "can_edit_core_settings") { req in
            try await self.store(req)
        }
        try r.route(.get, "/hello-swift/events/", permission: "can_view_core_settings") { _ in
            try .json(["events": self.events.load(ordering: .relaxed)])
        }

        try r.subscribe("agent.*") { _ in
            self.events.add(1, ordering: .relaxed)
        }
    }

    /// POST: validates, inserts, answers from the async database reply.
    func store(_ req: PluginRequest) async throws -> PluginResponse {
        let body: NewGreeting = try req.json()  // malformed JSON: 400
        guard (1...200).contains(body.name.utf8.count) else {
            throw PluginHTTPError(400, "name must be text of 1 to 200 bytes")
        }
        do {
            let rows: [Stored] = try await host.query(
                "INSERT INTO greetings (name) VALUES ($1) RETURNING id, name", [body.name])
            guard let row = rows.first else { throw PluginHTTPError(500, "internal error") }
            return try .json(StoredReply(id: row.id, stored: row.name))
        } catch let error as PluginError {
            // The message may hold SQL: log it, tell the client only what failed.
            host.log(.warning, "[\(req.requestID)] insert failed: \(error)")
            throw PluginHTTPError(503, "could not store the greeting")
        }
    }
}

struct Greeting: Encodable {
    let greeting: String
    let plugin: String
}

struct NewGreeting: Decodable {
    let name: String
}

/// A row of RETURNING id, name.
struct Stored: Decodable {
    let id: Int
    let name: String
}

struct StoredReply: Encodable {
    let id: Int
    let stored: String
}
