import HTTPTypes
import NIOCore
import NIOHTTPTypes
import NIOTLS

/// Ends connections that stall, one deadline at a time: the TLS handshake, the first request
/// head, each request body, and the idle wait between kept-alive requests. Nothing is timed
/// while a handler is answering (an agent command may wait for minutes). It also ends the
/// connection after an answer that says `Connection: close`, and says so in every answer to
/// a request that asked for it (the Tactical RMM agent asks on every request). Sits after
/// HTTP decoding; /natsws connections leave the HTTP path and the sniffer removes it.
final class ConnectionDeadlines: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Phase { case handshake, head, body, answering, idle }

    private let limits: ConnectionLimits
    private var phase: Phase
    private var timer: Scheduled<Void>?
    private var started = false
    private var answersOwed = 0
    private var clientAskedToClose = false
    private var closeAfterAnswer = false

    init(tls: Bool, limits: ConnectionLimits) {
        self.limits = limits
        self.phase = tls ? .handshake : .head
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if phase == .handshake, case TLSUserEvent.handshakeCompleted = event { enter(.head, context) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            answersOwed += 1
            clientAskedToClose = Self.asksToClose(head.headerFields)
            enter(.body, context)
        case .body:
            break
        case .end:
            // The answer may already be out (a refusal before the body was read).
            enter(answersOwed > 0 ? .answering : .idle, context)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.kind != .informational:
            if clientAskedToClose || Self.asksToClose(head.headerFields) {
                head.headerFields[.connection] = "close"
                closeAfterAnswer = true
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .head, .body:
            context.write(data, promise: promise)
        case .end:
            answersOwed -= 1
            if closeAfterAnswer {
                // A full close, through the pipeline: NIOSSL sends close_notify first.
                let written = context.eventLoop.makePromise(of: Void.self)
                written.futureResult.whenComplete { _ in context.close(promise: nil) }
                written.futureResult.cascade(to: promise)
                context.writeAndFlush(data, promise: written)
                return
            }
            context.write(data, promise: promise)
            if answersOwed == 0, phase == .answering { enter(.idle, context) }
        }
    }

    static func asksToClose(_ fields: HTTPFields) -> Bool {
        fields[values: .connection].contains { value in
            value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "close" }
        }
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        enter(phase, context)
    }

    private func enter(_ next: Phase, _ context: ChannelHandlerContext) {
        phase = next
        cancelTimer()
        let deadline: (TimeAmount, ConnectionCut)
        switch next {
        case .handshake: deadline = (limits.handshake, .handshake)
        case .head: deadline = (limits.head, .head)
        case .body: deadline = (limits.body, .body)
        case .idle: deadline = (limits.idle, .idle)
        case .answering: return
        }
        let cut = limits.cut
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: deadline.0) { [self] in
            timer = nil
            cut(deadline.1)
            context.close(promise: nil)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }
}

@available(*, unavailable)
extension ConnectionDeadlines: Sendable {}
