import Foundation

/// Every configuration key: section, name, type, how to store it, and its meaning (the
/// example file and `check-config` are generated from the same list).
struct ConfigKey: Sendable {
    enum Kind: String, Sendable { case string, integer, boolean }

    let section: String
    let name: String
    let kind: Kind
    let help: String
    let apply: @Sendable (inout GarrisonConfig, ConfigScalar) -> String?

    var environmentName: String { "GARRISON_\(section.uppercased())_\(name.uppercased())" }
}

enum ConfigScalar: Sendable {
    case string(String), integer(Int), boolean(Bool)
}

enum ConfigSchema {
    static func string(
        _ section: String, _ name: String, _ help: String, _ set: @escaping @Sendable (inout GarrisonConfig, String) -> String?
    ) -> ConfigKey {
        ConfigKey(section: section, name: name, kind: .string, help: help) { config, value in
            if case .string(let text) = value { return set(&config, text) }
            return "must be a string"
        }
    }

    static func integer(
        _ section: String, _ name: String, _ range: ClosedRange<Int>, _ help: String,
        _ set: @escaping @Sendable (inout GarrisonConfig, Int) -> Void
    ) -> ConfigKey {
        ConfigKey(section: section, name: name, kind: .integer, help: help) { config, value in
            guard case .integer(let number) = value else { return "must be a whole number" }
            guard range.contains(number) else { return "must be between \(range.lowerBound) and \(range.upperBound)" }
            set(&config, number)
            return nil
        }
    }

    static func boolean(_ section: String, _ name: String, _ help: String, _ set: @escaping @Sendable (inout GarrisonConfig, Bool) -> Void)
        -> ConfigKey
    {
        ConfigKey(section: section, name: name, kind: .boolean, help: help) { config, value in
            guard case .boolean(let flag) = value else { return "must be true or false" }
            set(&config, flag)
            return nil
        }
    }

    static let keys: [ConfigKey] = [
        string("server", "host", "address to listen on") {
            $0.serverHost = $1; return $1.isEmpty ? "must not be empty" : nil
        },
        integer("server", "port", 0...65535, "HTTPS port (0 picks a free one)") { $0.serverPort = $1 },
        string("server", "tls_certificate", "PEM certificate; empty makes a self-signed one in the data folder") {
            $0.tlsCertificate = $1; return nil
        },
        string("server", "tls_key", "PEM private key for tls_certificate") {
            $0.tlsKey = $1; return nil
        },
        boolean("server", "plain_http", "serve plain HTTP; only behind a TLS-terminating reverse proxy") { $0.plainHTTP = $1 },
        integer("server", "max_body_bytes", 1024...(1 << 30), "largest request body accepted") { $0.maxBodyBytes = $1 },
        boolean("server", "trust_forwarded_for", "take the client address from X-Forwarded-For (behind a proxy only)") {
            $0.trustForwardedFor = $1
        },
        string(
            "server", "trusted_proxies",
            "proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For counts; the client is the rightmost entry not in the list"
        ) {
            do { _ = try TrustedProxies(parsing: $1) } catch { return "\(error)" }
            $0.trustedProxies = $1
            return nil
        },
        integer("server", "max_anonymous_body_bytes", 0...(1 << 30), "largest request body accepted on routes that need no credentials") {
            $0.maxAnonymousBodyBytes = $1
        },
        integer(
            "server", "tls_handshake_timeout_seconds", 1...3600, "a connection that has not finished the TLS handshake by then is closed"
        ) { $0.tlsHandshakeTimeoutSeconds = $1 },
        integer(
            "server", "request_head_timeout_seconds", 1...3600,
            "a connection whose first request line and headers are not all in by then is closed"
        ) { $0.requestHeadTimeoutSeconds = $1 },
        integer(
            "server", "idle_timeout_seconds", 1...86400,
            "a kept-alive connection without a new complete request head for this long is closed"
        ) { $0.idleTimeoutSeconds = $1 },
        integer("server", "body_timeout_seconds", 1...86400, "a request body not received in full by then closes the connection") {
            $0.bodyTimeoutSeconds = $1
        },
        integer(
            "server", "max_connections_per_address", 1...1_000_000, "open connections one source address may hold; more are closed at once"
        ) { $0.maxConnectionsPerAddress = $1 },
        integer("server", "max_websockets_per_user", 1...10_000, "dashboard websockets (/ws/...) one operator may hold open; more are closed") {
            $0.maxWebSocketsPerUser = $1
        },
        integer(
            "server", "websocket_idle_timeout_seconds", 10...86400,
            "a dashboard websocket from which nothing (not even a pong to the server's ping) arrives for this long is closed"
        ) { $0.webSocketIdleTimeoutSeconds = $1 },
        string("server", "public_hostname", "name agents and browsers use; goes into the self-signed certificate") {
            $0.publicHostname = $1; return nil
        },
        string("data", "dir", "folder for the embedded database, certificate and first-run password") {
            $0.dataDirectory = $1; return $1.isEmpty ? "must not be empty" : nil
        },
        string("database", "url", "libpq connection URL; empty runs a private cluster under the data folder") {
            $0.databaseURL = $1; return nil
        },
        integer("database", "pool_size", 1...200, "database connections") { $0.databasePoolSize = $1 },
        string("log", "level", "trace, debug, info, notice, warning, error or critical") { config, value in
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value) else {
                return "must be one of trace, debug, info, notice, warning, error, critical"
            }
            config.logLevel = value
            return nil
        },
        string("log", "format", "text (one line per message) or json (one JSON object per line)") { config, value in
            guard LogSetup.Format(rawValue: value) != nil else { return "must be text or json" }
            config.logFormat = value
            return nil
        },
        boolean("log", "requests", "a line per HTTP request at info: method, route, path, user, status, latency, request id") {
            $0.logRequests = $1
        },
        integer("auth", "token_ttl_hours", 1...8760, "lifetime of a login token") { $0.tokenTTLHours = $1 },
        integer("auth", "login_failures_per_user", 1...1000, "failed logins per user per window before throttling") {
            $0.loginFailuresPerUser = $1
        },
        integer("auth", "login_failures_per_address", 1...10000, "failed logins per source address per window") {
            $0.loginFailuresPerAddress = $1
        },
        integer("auth", "login_window_seconds", 1...86400, "throttling window") { $0.loginWindowSeconds = $1 },
        string(
            "auth", "monitoring_token",
            "Tactical RMM's MON_TOKEN: the secret that POST /core/status/ and GET /core/v2/status/ require; empty turns them off"
        ) {
            $0.monitoringToken = $1; return nil
        },
        string("plugins", "dir", "folder of plugin files (*.toml)") {
            $0.pluginsDirectory = $1; return nil
        },
        integer("plugins", "call_timeout_ms", 1...3_600_000, "how long a plugin route or auth hook may take to answer (then 504 / deny)") {
            $0.pluginCallTimeoutMS = $1
        },
        integer("plugins", "drain_timeout_ms", 0...3_600_000, "how long disabling a plugin waits for its in-flight calls") {
            $0.pluginDrainTimeoutMS = $1
        },
        boolean("nats", "enabled", "run the agent bus; false only for tools and tests that need no agents") { $0.natsEnabled = $1 },
        string("nats", "url", "NATS server URL (nats://user:password@host:4222); empty runs a private nats-server under the data folder") {
            $0.natsURL = $1; return nil
        },
        integer("nats", "port", 0...65535, "loopback client port of the private nats-server (0 picks a free one)") { $0.natsPort = $1 },
        integer(
            "nats", "websocket_port", 0...65535, "loopback websocket port of the private nats-server, behind /natsws (0 picks a free one)"
        ) { $0.natsWebsocketPort = $1 },
        integer("nats", "tls_port", 0...65535, "TLS port on every address for agents installed with -natsport; 0 for none") {
            $0.natsTLSPort = $1
        },
        string(
            "nats", "cluster_address",
            "address the private nats-server takes cluster routes on, as the other hosts reach it (docs/scale-out.md); loopback serves hosts on this machine only"
        ) {
            $0.natsClusterAddress = $1; return $1.isEmpty || $1.contains(":") || $1 == "0.0.0.0" ? "must be one address the other hosts reach (no port, not 0.0.0.0)" : nil
        },
        integer("nats", "cluster_port", 0...65535, "cluster route port of the private nats-server (0 picks a free one each start)") {
            $0.natsClusterPort = $1
        },
        string(
            "nats", "cluster_routes",
            "nats-route://user:password@host:port of the other nodes, comma-separated; empty routes to the hosts registered in the database"
        ) {
            $0.natsClusterRoutes = $1; return nil
        },
        string("nats", "cluster_user", "user the nodes' routes present; empty uses the one in the database (shared by every host)") {
            $0.natsClusterUser = $1; return nil
        },
        string("nats", "cluster_password", "password for nats.cluster_user; empty uses the one in the database") {
            $0.natsClusterPassword = $1; return nil
        },
        integer("agents", "pending_action_hours", 1...8760, "how long a command queued for an offline agent waits before it expires") {
            $0.pendingActionHours = $1
        },
        string("agents", "latest_version", "agent version that updates install (and auto-update targets)") {
            $0.agentLatestVersion = $1; return $1.isEmpty ? "must not be empty" : nil
        },
        string("agents", "update_url", "where agents download updates; {version}, {plat} and {goarch} are filled in") {
            $0.agentUpdateURL = $1; return $1.isEmpty ? "must not be empty" : nil
        },
        string(
            "agents", "public_url", "https URL agents use to reach this server (install commands); empty: https://<public_hostname>:<port>"
        ) {
            $0.agentPublicURL = $1; return nil
        },
        string(
            "nats", "websocket_url",
            "with nats.url: where /natsws goes, the external nats-server's websocket listener without TLS (ws://host:port); empty answers /natsws with 503. Unused with the private nats-server"
        ) {
            if !$1.isEmpty, let problem = NATSWebSocketUpstream.parse($1).1 { return problem }
            $0.natsWebSocketURL = $1
            return nil
        },
    ]
}
