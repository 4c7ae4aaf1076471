import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// Dials `wss://host:port/natsws` as the agent does (websocket compression requested; a
/// server that declines it is fine, docs/agent-protocol.md §10) and runs one agent's NATS
/// session on it. The future completes once nats-server has accepted the agent's
/// credentials and subscription.
public struct NATSWebSocketTarget: Sendable {
    public var host: String
    public var port: Int
    public var path: String
    /// Verifies the server certificate against the system roots unless false (the agent's
    /// `Insecure` setting, needed for a self-signed certificate).
    public var verifyCertificate: Bool

    public init(host: String, port: Int, path: String = "/natsws", verifyCertificate: Bool = false) {
        self.host = host
        self.port = port
        self.path = path
        self.verifyCertificate = verifyCertificate
    }

    /// Parses `wss://host:port/path`.
    public init?(url: String, verifyCertificate: Bool = false) {
        guard url.hasPrefix("wss://") else { return nil }
        let rest = url.dropFirst("wss://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        var host = String(authority)
        var port = 443
        if let colon = authority.lastIndex(of: ":"), let parsed = Int(authority[authority.index(after: colon)...]) {
            host = String(authority[..<colon])
            port = parsed
        }
        self.init(host: host, port: port, path: path.isEmpty ? "/natsws" : String(path), verifyCertificate: verifyCertificate)
    }
}

public final class AgentConnection: Sendable {
    public let agent: AgentIdentity
    public let channel: any Channel
    private let handler: NIOLoopBound<NATSAgentHandler>

    init(agent: AgentIdentity, channel: any Channel, handler: NIOLoopBound<NATSAgentHandler>) {
        self.agent = agent
        self.channel = channel
        self.handler = handler
    }

    public func setHelloInterval(_ interval: TimeAmount) {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.setHelloInterval(interval) }
    }

    public func close() {
        channel.close(promise: nil)
    }

    enum Upgrade: Sendable { case upgraded, refused }

    public static func connect(
        _ agent: AgentIdentity, to target: NATSWebSocketTarget, tls: NIOSSLContext, on loop: any EventLoop,
        stats: EmulatorStats, helloInterval: TimeAmount, sendStartup: Bool = false
    ) -> EventLoopFuture<AgentConnection> {
        let ready = loop.makePromise(of: Void.self)
        let handlerPromise = loop.makePromise(of: NIOLoopBound<NATSAgentHandler>.self)
        let upgraded = loop.makePromise(of: Upgrade.self)
        let connected = ClientBootstrap(group: loop)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let serverName = target.host.first?.isNumber == true ? nil : target.host
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(
                        maxFrameSize: 1 << 24,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                let handler = NATSAgentHandler(
                                    agent: agent, stats: stats, helloInterval: helloInterval, sendStartup: sendStartup, ready: ready)
                                try channel.pipeline.syncOperations.addHandler(handler)
                                handlerPromise.succeed(NIOLoopBound(handler, eventLoop: channel.eventLoop))
                                return .upgraded
                            }
                        })
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(target.host):\(target.port)")
                    headers.add(
                        name: "Sec-WebSocket-Extensions",
                        value: "permessage-deflate; client_no_context_takeover; server_no_context_takeover")
                    headers.add(name: "User-Agent", value: "Go-http-client/1.1")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target.path, headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(.refused) })
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                    // nats-server's INFO often arrives in the same read as the 101: keep it.
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline).cascade(to: upgraded)
                }
            }
            .connect(host: target.host, port: target.port)
        return connected.flatMap { channel in
            upgraded.futureResult.flatMap { result -> EventLoopFuture<AgentConnection> in
                guard result == .upgraded else {
                    channel.close(promise: nil)
                    return loop.makeFailedFuture(NATSAgentHandler.Refused(description: "\(target.path) did not upgrade to a websocket"))
                }
                return handlerPromise.futureResult.and(ready.futureResult).map { handler, _ in
                    AgentConnection(agent: agent, channel: channel, handler: handler)
                }
            }.flatMapErrorThrowing { error in
                channel.close(promise: nil)
                throw error
            }
        }.flatMapErrorThrowing { error in
            ready.fail(error)
            handlerPromise.fail(error)
            upgraded.fail(error)
            throw error
        }
    }

    public static func tlsContext(verifyCertificate: Bool) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if !verifyCertificate { configuration.certificateVerification = .none }
        return try NIOSSLContext(configuration: configuration)
    }
}
