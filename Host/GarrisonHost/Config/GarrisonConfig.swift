import Foundation

/// The host's configuration: `garrison.toml`, then `GARRISON_<SECTION>_<KEY>` environment
/// variables on top. Every key is declared in `ConfigSchema`; an unknown key or a wrong type
/// is an error naming the file, line and key.
public struct GarrisonConfig: Sendable {
    public var serverHost = "0.0.0.0"
    public var serverPort = 8443
    public var tlsCertificate = ""
    public var tlsKey = ""
    public var plainHTTP = false
    public var maxBodyBytes = 10 * 1024 * 1024
    public var trustForwardedFor = false
    public var trustedProxies = "127.0.0.0/8, ::1"
    public var maxAnonymousBodyBytes = 64 * 1024
    public var tlsHandshakeTimeoutSeconds = 10
    public var requestHeadTimeoutSeconds = 15
    public var idleTimeoutSeconds = 75
    public var bodyTimeoutSeconds = 60
    /// Agents behind one NAT share an address, each holding its /natsws connection and one per
    /// request in flight: 2048 admits a large site behind one address, while one address still
    /// holds at most an eighth of the unit's LimitNOFILE (65536, two descriptors per agent).
    public var maxConnectionsPerAddress = 2048
    public var publicHostname = "localhost"
    /// Dashboard websockets (/ws/...) one operator may hold open at once; more are closed with 4429.
    public var maxWebSocketsPerUser = 20
    /// A dashboard websocket that sends nothing (not even the pong to the server's ping,
    /// which browsers answer on their own) for this long is closed with 4408.
    public var webSocketIdleTimeoutSeconds = 90

    public var dataDirectory = "./data"

    public var databaseURL = ""
    public var databasePoolSize = 10

    public var logLevel = "info"
    public var logFormat = "text"
    public var logRequests = true

    public var tokenTTLHours = 10
    public var loginFailuresPerUser = 5
    public var loginFailuresPerAddress = 20
    public var loginWindowSeconds = 60
    public var monitoringToken = ""

    public var pluginsDirectory = "./plugins.d"
    public var pluginCallTimeoutMS = 30_000
    public var pluginDrainTimeoutMS = 10_000

    public var natsEnabled = true
    public var natsURL = ""
    public var natsPort = 0
    public var natsWebsocketPort = 0
    public var natsTLSPort = 0
    public var natsWebSocketURL = ""
    /// Cluster mode (docs/scale-out.md): the address this host's nats-server node takes routes
    /// on, as the other hosts' nodes reach it, and its port (0 picks a free one each start).
    public var natsClusterAddress = "127.0.0.1"
    public var natsClusterPort = 0
    /// nats-route:// URLs, comma-separated; when set, used instead of the hosts in the database.
    public var natsClusterRoutes = ""
    /// Route credentials; empty takes the ones the database holds for every host.
    public var natsClusterUser = ""
    public var natsClusterPassword = ""

    public var pendingActionHours = 168
    public var agentLatestVersion = "2.9.1"
    public var agentUpdateURL =
        "https://github.com/amidaware/rmmagent/releases/download/v{version}/tacticalagent-v{version}-{plat}-{goarch}.exe"
    public var agentPublicURL = ""

    public init() {}

    /// Where the configuration came from, for messages.
    public var source = "defaults"

    public var dataURL: URL { URL(fileURLWithPath: dataDirectory).standardizedFileURL }
}

public struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int?
    public let message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}
