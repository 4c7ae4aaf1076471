import NIOCore
import NIOPosix
import NIOWebSocket

/// First handler after TLS on every connection of the HTTPS listener. It looks at the start
/// of the connection's first request: anything but `GET /natsws` with `Upgrade: websocket`
/// is handed on unchanged to the HTTP pipeline behind it, and the sniffer leaves. An agent's
/// websocket is instead carried to nats-server's websocket listener as raw bytes (the
/// upgrade request as it came, then both directions spliced): nats-server does the
/// websocket handshake and framing itself, so the host never parses a frame. The HTTP
/// handlers stay in the pipeline, idle, and close with the connection.
final class NATSWebSocketSniffer: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case sniffing
        case connecting
        case done
    }

    /// A request head bigger than this is not an agent's; HTTP gets it (and its limits).
    static let maxHead = 16 * 1024
    private static let prefix = Array("GET /natsws".utf8)

    private let upstream: NATSWebSocketUpstream
    /// The dashboard's websockets (`GET /ws/...` upgrades); nil serves them as plain HTTP (404).
    private let sockets: DashboardSockets?
    private var dashboardSearched = 0
    private var state = State.sniffing
    private var buffered: ByteBuffer?
    /// How much of `buffered` was already searched for the end of the head. Searching it all
    /// again on every read made a head sent a byte at a time cost quadratic time on the event
    /// loop, before any authentication (found by Fuzz/NATSWebSocketSniffer).
    private var searched = 0

    init(upstream: NATSWebSocketUpstream, sockets: DashboardSockets? = nil) {
        self.upstream = upstream
        self.sockets = sockets
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffered == nil {
            buffered = incoming
        } else {
            buffered!.writeBuffer(&incoming)
        }
        guard state == .sniffing, let head = buffered else { return }
        switch Self.classify(head, searched: &searched) {
        case .undecided:
            break
        case .http:
            guard let sockets, DashboardSocketRequest.mayBe(head) else {
                passToHTTP(context: context)
                return
            }
            switch DashboardSocketRequest.parse(head, searched: &dashboardSearched, maxHead: Self.maxHead) {
            case .undecided: break
            case .http: passToHTTP(context: context)
            case .upgrade(let request, let headLength):
                state = .connecting
                upgradeDashboard(context: context, sockets: sockets, request: request, headLength: headLength)
            }
        case .natsWebSocket:
            state = .connecting
            connect(context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if state == .done { context.fireChannelReadComplete() }
    }

    func read(context: ChannelHandlerContext) {
        // No more input until the upstream is there to take it; splice() reads again.
        if state != .connecting { context.read() }
    }

    enum Verdict: Equatable { case undecided, http, natsWebSocket }

    /// Decides on as few bytes as possible: most requests differ from "GET /natsws" at once.
    static func classify(_ head: ByteBuffer) -> Verdict {
        var searched = 0
        return classify(head, searched: &searched)
    }

    /// `searched`: bytes at the start of `head` known to hold no end of head; updated.
    static func classify(_ head: ByteBuffer, searched: inout Int) -> Verdict {
        let bytes = head.readableBytesView
        for (offset, expected) in prefix.enumerated() {
            guard offset < bytes.count else { return .undecided }
            if bytes[bytes.startIndex + offset] != expected { return .http }
        }
        guard bytes.count > prefix.count else { return .undecided }
        let next = bytes[bytes.startIndex + prefix.count]
        guard next == UInt8(ascii: " ") || next == UInt8(ascii: "?") || next == UInt8(ascii: "/") else { return .http }
        guard let end = headEnd(bytes, from: searched) else {
            searched = bytes.count
            return bytes.count > maxHead ? .http : .undecided
        }
        let text = String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self).lowercased()
        for line in text.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":"), line[..<colon].trimmingCharacters(in: .whitespaces) == "upgrade" else { continue }
            if line[line.index(after: colon)...].contains("websocket") { return .natsWebSocket }
        }
        return .http
    }

    /// The end of "\r\n\r\n", looked for from `searched` bytes in (less three, in case the
    /// last read ended inside it).
    private static func headEnd(_ bytes: ByteBufferView, from searched: Int) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var index = bytes.startIndex + max(0, min(searched, bytes.count) - 3)
        while index + 3 < bytes.endIndex {
            if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 { return index + 4 }
            index += 1
        }
        return nil
    }

    private func passToHTTP(context: ChannelHandlerContext) {
        state = .done
        if let head = buffered {
            buffered = nil
            context.fireChannelRead(wrapInboundOut(head))
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func connect(context: ChannelHandlerContext) {
        guard let host = upstream.host else {
            refuse(context: context, upstream.unavailable)
            return
        }
        // Same event loop for both sides: the splice hands buffers across without a hop.
        let loop = context.eventLoop
        let downstream = context.channel
        let (down, up) = ByteSplice.pair()
        let upBound = NIOLoopBound(up, eventLoop: loop)
        let bound = NIOLoopBound((self, context, down), eventLoop: loop)
        ClientBootstrap(group: loop)
            .connectTimeout(.seconds(3))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                // In place before the first read, so no byte from nats-server is missed.
                loop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(upBound.value) }
            }
            .connect(host: host, port: upstream.port)
            .whenComplete { result in
                let (sniffer, context, down) = bound.value
                switch result {
                case .success(let channel):
                    guard downstream.isActive else {
                        channel.close(promise: nil)
                        return
                    }
                    sniffer.splice(context: context, down: down, up: upBound.value, upstreamChannel: channel)
                case .failure(let error):
                    sniffer.refuse(context: context, "the agents' NATS is not reachable (\(error)); try again later")
                }
            }
    }

    /// Puts the downstream half of the splice in this handler's place, sends the buffered
    /// request up, and resumes reading.
    private func splice(context: ChannelHandlerContext, down: ByteSplice, up: ByteSplice, upstreamChannel: any Channel) {
        do {
            try context.pipeline.syncOperations.addHandler(down, position: .after(self))
        } catch {
            upstreamChannel.close(promise: nil)
            refuse(context: context, "cannot join the agents' NATS (\(error))")
            return
        }
        state = .done
        // An agent's websocket lives as long as it likes: the HTTP deadlines are not its.
        if let deadlines = try? context.pipeline.syncOperations.context(handlerType: ConnectionDeadlines.self) {
            context.pipeline.syncOperations.removeHandler(context: deadlines, promise: nil)
        }
        if let gauge = upstream.openConnections {
            gauge.increment()
            context.channel.closeFuture.whenComplete { _ in gauge.decrement() }
        }
        if let request = buffered {
            buffered = nil
            up.send(request)
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        // The splice now answers read(); ask once for what the socket holds.
        context.channel.read()
        upstreamChannel.read()
    }

    /// Checks the dashboard socket's token off the event loop, then answers the handshake
    /// and puts the websocket handlers in this handler's place (or answers an HTTP error).
    private func upgradeDashboard(
        context: ChannelHandlerContext, sockets: DashboardSockets, request: DashboardSocketRequest, headLength: Int
    ) {
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        Task {
            let admission = await sockets.admit(request)
            loop.execute {
                let (sniffer, context) = bound.value
                sniffer.finishDashboard(context: context, sockets: sockets, request: request, headLength: headLength, admission: admission)
            }
        }
    }

    private func finishDashboard(
        context: ChannelHandlerContext, sockets: DashboardSockets, request: DashboardSocketRequest, headLength: Int,
        admission: DashboardSockets.Admission
    ) {
        guard context.channel.isActive else { return }
        if case .refuse(let status, let detail) = admission {
            state = .done
            buffered = nil
            let body = JSON.object(["detail": .string(detail)]).databaseText
            let response =
                "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response))).whenComplete { _ in
                context.close(promise: nil)
            }
            return
        }
        let answer =
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(DashboardSocketRequest.acceptValue(request.key))\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: answer)), promise: nil)
        // A dashboard's socket lives as long as it is used: the HTTP deadlines are not its.
        if let deadlines = try? context.pipeline.syncOperations.context(handlerType: ConnectionDeadlines.self) {
            context.pipeline.syncOperations.removeHandler(context: deadlines, promise: nil)
        }
        // In this order after the sniffer: encoder, decoder, protocol errors, fragments, ours.
        let handlers: [any ChannelHandler] = [
            WebSocketFrameEncoder(), ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 64 * 1024)),
            WebSocketProtocolErrorHandler(),
            NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 1, maxAccumulatedFrameCount: 64, maxAccumulatedFrameSize: 64 * 1024),
            DashboardSocketHandler(hub: sockets, admission: admission),
        ]
        do {
            for handler in handlers.reversed() { try context.pipeline.syncOperations.addHandler(handler, position: .after(self)) }
        } catch {
            context.close(promise: nil)
            return
        }
        // Everything is in place: the socket may now speak (accept, or close with a reason).
        context.fireUserInboundEventTriggered(DashboardSocketHandler.Start())
        state = .done
        if var rest = buffered {
            buffered = nil
            rest.moveReaderIndex(forwardBy: min(headLength, rest.readableBytes))
            if rest.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(rest)) }
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        context.channel.read()
    }

    private func refuse(context: ChannelHandlerContext, _ reason: String) {
        state = .done
        buffered = nil
        let body = JSON.object(["detail": .string("/natsws unavailable: \(reason)")]).databaseText
        let response =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response))).whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
