import Foundation

/// The nats-server configuration Garrison generates (docs/agent-protocol.md §2.3), written as
/// JSON, which nats-server reads as its config syntax. One user for the host with the
/// whole subject space; one per agent, confined to its own subject.
public struct NATSServerConfig: Sendable, Equatable {
    public struct AgentUser: Sendable, Equatable {
        public let agentID: String
        /// bcrypt of the agent's token.
        public let passwordHash: String

        public init(agentID: String, passwordHash: String) {
            self.agentID = agentID
            self.passwordHash = passwordHash
        }
    }

    public struct TLS: Sendable, Equatable {
        public var port: Int
        public var certificateFile: String
        public var keyFile: String
    }

    /// This node's place in a nats-server cluster (several hosts, docs/scale-out.md): where it
    /// takes routes, the credentials every route presents, and the other nodes it dials.
    public struct Cluster: Sendable, Equatable {
        public var name = "garrison"
        public var host: String
        public var port: Int
        public var routeUser: String
        public var routePassword: String
        /// nats-route://user:password@host:port of the other nodes.
        public var routes: [String]

        public init(host: String, port: Int, routeUser: String, routePassword: String, routes: [String]) {
            self.host = host
            self.port = port
            self.routeUser = routeUser
            self.routePassword = routePassword
            self.routes = routes
        }

        /// The route URL other nodes dial to reach `address` ("host:port").
        public static func routeURL(user: String, password: String, address: String) -> String {
            "nats-route://\(user):\(password)@\(address)"
        }
    }

    /// The plain client port the host uses, on loopback.
    public var clientPort: Int
    /// Websocket without TLS on loopback: agents reach it through the host's /natsws.
    public var websocketPort: Int
    /// Agents installed with -natsport dial tls://host:port. nats-server has one client
    /// listener, so with TLS it moves to this port on every address.
    public var tls: TLS?
    /// With `tls`: true requires TLS of every client, the host's own loopback connection
    /// included (it must then connect with TLS); false also accepts plain connections
    /// (allow_non_tls), from every address, for a host that connects without TLS.
    public var requireTLS = false
    public var hostUser: String
    public var hostPasswordHash: String
    public var agents: [AgentUser]
    public var cluster: Cluster?

    /// 64 MiB, as Tactical RMM: script output and WMI data travel in single messages.
    public static let maxPayload = 64 * 1024 * 1024
    /// How long an agent may answer a request it received (Tactical's default, 1435m).
    public static let responseExpiry = "1435m"
    /// Seconds a client has to send CONNECT after the server's INFO. nats-server's default
    /// (2 s) is missed when thousands of agents come back at once over TLS (each handshake
    /// queues behind the others) and the agent then waits 2-8 s to try again.
    public static let authTimeoutSeconds = 10

    /// Agent ids are 40 ASCII letters; anything that is not a plain subject token would
    /// widen the permissions it is written into, so it is refused by `rendered()`.
    public static func isValidAgentID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 128
            && id.utf8.allSatisfy {
                (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D || $0 == 0x5F
            }
    }

    /// What agent `id` may publish: its own subject (telemetry) and, for agents newer than
    /// 2.9.1, streamed command output and terminal data under it.
    public static func publishSubjects(for id: String) -> [String] {
        [id, "\(id).cmdoutput.>", "\(id).terminal.>"]
    }

    /// The config as JSON, with agents whose id is not a plain subject token left out
    /// (returned separately so the caller can log them).
    public func rendered() -> (json: String, skipped: [String]) {
        var users: [JSON] = [
            .object([
                "user": .string(hostUser),
                "password": .string(hostPasswordHash),
                "permissions": .object(["publish": .string(">"), "subscribe": .string(">")]),
            ])
        ]
        var skipped: [String] = []
        for agent in agents.sorted(by: { $0.agentID < $1.agentID }) {
            guard Self.isValidAgentID(agent.agentID), agent.agentID != hostUser else {
                skipped.append(agent.agentID)
                continue
            }
            users.append(
                .object([
                    "user": .string(agent.agentID),
                    "password": .string(agent.passwordHash),
                    "permissions": .object([
                        "publish": .object(["allow": .array(Self.publishSubjects(for: agent.agentID).map { .string($0) })]),
                        "subscribe": .object(["allow": .array([.string(agent.agentID)])]),
                        "allow_responses": .object(["expires": .string(Self.responseExpiry)]),
                    ]),
                ]))
        }
        var root: [String: JSON] = [
            "authorization": .object(["users": .array(users), "timeout": .number(Double(Self.authTimeoutSeconds))]),
            "max_payload": .number(Double(Self.maxPayload)),
            "websocket": .object(["host": "127.0.0.1", "port": .number(Double(websocketPort)), "no_tls": true, "compression": false]),
        ]
        if let cluster {
            // no_advertise: clients (agents behind /natsws, the host itself) must not learn the
            // other nodes' addresses and wander there; each reaches only its own node.
            root["cluster"] = .object([
                "name": .string(cluster.name), "host": .string(cluster.host), "port": .number(Double(cluster.port)),
                "no_advertise": true,
                "authorization": .object([
                    "user": .string(cluster.routeUser), "password": .string(cluster.routePassword), "timeout": .number(Double(Self.authTimeoutSeconds)),
                ]),
                "routes": .array(cluster.routes.sorted().map { .string($0) }),
            ])
        }
        if let tls {
            root["host"] = "0.0.0.0"
            root["port"] = .number(Double(tls.port))
            root["tls"] = .object(["cert_file": .string(tls.certificateFile), "key_file": .string(tls.keyFile)])
            if !requireTLS { root["allow_non_tls"] = true }
        } else {
            root["host"] = "127.0.0.1"
            root["port"] = .number(Double(clientPort))
        }
        return (JSON.object(root).databaseText, skipped)
    }

    /// The port the host connects to.
    public var hostPort: Int { tls?.port ?? clientPort }
}
