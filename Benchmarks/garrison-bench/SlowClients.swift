import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// The three kinds of slow client that would hold a socket forever without the listener's
/// deadlines. Each connects and then sends
/// no more than its `partial` bytes.
enum SlowKind: Int, CaseIterable, Sendable {
    case rawTCP, halfHead, natsws

    var label: String {
        switch self {
        case .rawTCP: "raw TCP, no TLS handshake"
        case .halfHead: "TLS, half a request head"
        case .natsws: "TLS, half-sent GET /natsws"
        }
    }

    /// What goes out after connecting (through TLS for the TLS kinds); nil for none.
    var partial: String? {
        switch self {
        case .rawTCP: nil
        case .halfHead: "GET /core/version/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\nAuthoriz"
        case .natsws: "GET /natsws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        }
    }
}

/// Holds a number of slow connections open against one address, from one source address,
/// and opens a new one of the same kind whenever the server closes one (as a slowloris
/// attacker does), until `stopReopening()`. Records each connection the server closed and
/// how long it had lived.
final class SlowClients: Sendable {
    struct Closed: Sendable {
        let kind: SlowKind
        /// From the start of the connect to the close, in seconds.
        let lifetime: Double
    }

    struct Snapshot: Sendable {
        var open = 0
        var connectFailures = 0
        var lastConnectError: String?
        var closed: [Closed] = []
    }

    private struct State {
        var snapshot = Snapshot()
        var reopening = true
        var ending = false
        var channels: [ObjectIdentifier: any Channel] = [:]
    }

    private let state = NIOLockedValueBox(State())
    private let group: MultiThreadedEventLoopGroup
    private let target: SocketAddress
    private let source: SocketAddress
    private let tls: NIOSSLContext
    private let reopenDelay: TimeAmount

    init(target: SocketAddress, source: SocketAddress, reopenDelay: TimeAmount) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        tls = try NIOSSLContext(configuration: configuration)
        // One thread: the slow side does almost nothing and should not compete for the
        // two cores more than it must.
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.target = target
        self.source = source
        self.reopenDelay = reopenDelay
    }

    var snapshot: Snapshot { state.withLockedValue { $0.snapshot } }

    func stopReopening() { state.withLockedValue { $0.reopening = false } }

    /// Starts one connection of `kind`; it is counted as open once connected.
    func open(_ kind: SlowKind) {
        let tls = self.tls
        let started = NIODeadline.now()
        ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .connectTimeout(.seconds(10))
            .bind(to: source)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if kind != .rawTCP {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil))
                    }
                    try channel.pipeline.syncOperations.addHandler(SlowWriter(partial: kind.partial))
                }
            }
            .connect(to: target)
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    let id = ObjectIdentifier(channel)
                    state.withLockedValue {
                        $0.snapshot.open += 1
                        $0.channels[id] = channel
                    }
                    channel.closeFuture.whenComplete { [self] _ in
                        let lifetime = Double((NIODeadline.now() - started).nanoseconds) / 1e9
                        let reopen = state.withLockedValue { state -> Bool in
                            state.snapshot.open -= 1
                            state.channels[id] = nil
                            // Our own close at the end is not a cut.
                            if !state.ending { state.snapshot.closed.append(Closed(kind: kind, lifetime: lifetime)) }
                            return state.reopening && !state.ending
                        }
                        if reopen { reopenLater(kind) }
                    }
                case .failure(let error):
                    let reopen = state.withLockedValue { state -> Bool in
                        state.snapshot.connectFailures += 1
                        state.snapshot.lastConnectError = "\(error)"
                        return state.reopening && !state.ending
                    }
                    if reopen { reopenLater(kind) }
                }
            }
    }

    private func reopenLater(_ kind: SlowKind) {
        group.next().scheduleTask(in: reopenDelay) { [self] in open(kind) }
    }

    /// Closes what is still open (not counted as cut) and stops the event loop.
    func end() async {
        let channels = state.withLockedValue { state -> [any Channel] in
            state.ending = true
            state.reopening = false
            return Array(state.channels.values)
        }
        for channel in channels { try? await channel.close() }
        try? await group.shutdownGracefully()
    }
}

/// Sends the partial bytes once the connection is up (NIOSSL holds them until its
/// handshake is done), then nothing; swallows errors (a server that cuts a TLS connection
/// without close_notify is what this bench expects).
private final class SlowWriter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let partial: String?

    init(partial: String?) { self.partial = partial }

    func channelActive(context: ChannelHandlerContext) {
        if let partial {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: partial)), promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension SlowWriter: Sendable {}
