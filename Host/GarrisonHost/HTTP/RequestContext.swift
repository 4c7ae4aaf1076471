import Hummingbird
import NIOCore

/// Hummingbird's per-request context, plus the peer address for the audit log and throttling.
public struct GarrisonRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
