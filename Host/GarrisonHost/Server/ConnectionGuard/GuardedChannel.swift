import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// The listener's child channel with the per-address cap in front: a connection beyond
/// `server.max_connections_per_address` from one source is closed at accept, before any
/// TLS work is spent on it.
struct GuardedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let counter: AddressCounter
    let cut: @Sendable (ConnectionCut) -> Void

    struct Refused: Error {}

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard let address = channel.remoteAddress?.ipAddress else { return base.setup(channel: channel, logger: logger) }
        guard counter.take(address) else {
            cut(.perAddress)
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(Refused())
        }
        channel.closeFuture.whenComplete { _ in counter.release(address) }
        return base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 (with /natsws carried to `upstream`), in TLS unless `tls` is nil, behind the
    /// connection guard: per-address cap, deadlines, Connection: close.
    static func guarded(
        tls: TLSConfiguration?, upstream: NATSWebSocketUpstream, limits: ConnectionLimits, sockets: DashboardSockets? = nil
    ) -> HTTPServerBuilder {
        let counter = AddressCounter(limit: limits.perAddress)
        return HTTPServerBuilder { responder in
            let configuration = HTTP1Channel.Configuration(additionalChannelHandlers: [ConnectionDeadlines(tls: tls != nil, limits: limits)]
            )
            let http = NATSWebSocketChannel(
                base: HTTP1Channel(responder: responder, configuration: configuration), upstream: upstream, sockets: sockets)
            if let tls {
                return GuardedChannel(base: try TLSChannel(http, tlsConfiguration: tls), counter: counter, cut: limits.cut)
            }
            return GuardedChannel(base: http, counter: counter, cut: limits.cut)
        }
    }
}
