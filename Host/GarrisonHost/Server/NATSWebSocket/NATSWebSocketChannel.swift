import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 child channel with the /natsws sniffer in front of it. Wraps the
/// base rather than copying it: TLS (when on) comes before, HTTP/1 after, both Hummingbird's.
struct NATSWebSocketChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let upstream: NATSWebSocketUpstream
    var sockets: DashboardSockets? = nil

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NATSWebSocketSniffer(upstream: upstream, sockets: sockets))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 that also carries agents' websockets at /natsws to `upstream`; wrap it in
    /// `.tls(...)` as `.http1()` would be.
    static func http1WithNATSWebSocket(_ upstream: NATSWebSocketUpstream, configuration: HTTP1Channel.Configuration = .init())
        -> HTTPServerBuilder
    {
        HTTPServerBuilder { responder in
            NATSWebSocketChannel(base: HTTP1Channel(responder: responder, configuration: configuration), upstream: upstream)
        }
    }
}
