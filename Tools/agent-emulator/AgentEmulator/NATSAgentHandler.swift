import Foundation
import AgentWire
import NIOCore
import NIOWebSocket

/// One emulated agent's NATS session over an upgraded websocket: CONNECT with its id and
/// token, SUB to its own subject, PING to learn the server took both, then answer commands
/// and publish telemetry (the reply field carrying the kind, as the agent does). Lives on
/// its channel's event loop; no task per agent.
final class NATSAgentHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    private let agent: AgentIdentity
    private let stats: EmulatorStats
    private var helloInterval: TimeAmount
    private let sendStartup: Bool
    private let ready: EventLoopPromise<Void>
    private var parser = NATSWireParser()
    private var context: ChannelHandlerContext?
    private var isConnected = false
    private var hello: RepeatedTask?
    private var pinger: RepeatedTask?

    init(agent: AgentIdentity, stats: EmulatorStats, helloInterval: TimeAmount, sendStartup: Bool, ready: EventLoopPromise<Void>) {
        self.agent = agent
        self.stats = stats
        self.helloInterval = helloInterval
        self.sendStartup = sendStartup
        self.ready = ready
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // A server that never answers CONNECT must not hold the connect forever.
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .seconds(20)) {
            let handler = bound.value
            guard !handler.isConnected, let context = handler.context else { return }
            handler.ready.fail(Refused(description: "NATS did not accept agent \(handler.agent.agentID) within 20 s"))
            context.close(promise: nil)
        }
    }

    var channel: (any Channel)? { context?.channel }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        hello?.cancel()
        hello = nil
        pinger?.cancel()
        pinger = nil
        if isConnected {
            stats.connected.subtract(1, ordering: .relaxed)
            stats.disconnects.add(1, ordering: .relaxed)
        }
        isConnected = false
        ready.fail(Refused(description: "connection closed before NATS accepted the agent"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        ready.fail(error)
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .text, .continuation:
            parser.append(frame.unmaskedData)
            do {
                while let message = try parser.next() { handle(message, context: context) }
            } catch {
                errorCaught(context: context, error: error)
            }
        case .ping:
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    private func handle(_ message: NATSWireParser.Message, context: ChannelHandlerContext) {
        switch message {
        case .info:
            guard !isConnected else { return }
            let connect: [String: Any] = [
                "verbose": false, "pedantic": false, "tls_required": false, "name": agent.agentID, "lang": "go",
                "version": "1.38.0", "protocol": 1, "echo": true, "headers": true, "no_responders": true,
                "user": agent.agentID, "pass": agent.token,
            ]
            let json = (try? JSONSerialization.data(withJSONObject: connect, options: [.sortedKeys])) ?? Data()
            send("CONNECT \(String(decoding: json, as: UTF8.self))\r\nSUB \(agent.agentID) 1\r\nPING\r\n", context: context)
        case .ping:
            send("PONG\r\n", context: context)
        case .pong:
            guard !isConnected else { return }
            isConnected = true
            stats.connected.add(1, ordering: .relaxed)
            ready.succeed()
            if sendStartup {
                for kind in AgentTelemetryMessages.startup { publish(kind, context: context) }
            }
            startHello(context: context)
            startPinging(context: context)
        case .ok:
            break
        case .err(let text):
            stats.serverErrors.add(1, ordering: .relaxed)
            if !isConnected {
                ready.fail(Refused(description: "NATS refused agent \(agent.agentID): \(text)"))
                context.close(promise: nil)
            }
        case .msg(_, let reply, let payload):
            command(payload, reply: reply, context: context)
        }
    }

    private func command(_ payload: ByteBuffer, reply: String?, context: ChannelHandlerContext) {
        // The agent's own telemetry comes back to it (echo on): its reply is the kind tag.
        if let reply, reply.hasPrefix("agent-") { return }
        guard let decoded = try? MsgPackDecoder.decode(payload.readableBytesView) else { return }
        let outcome = AgentCommands.answer(decoded, agent: agent)
        guard decoded["func"]?.stringValue?.isEmpty == false else { return }
        stats.commands.add(1, ordering: .relaxed)
        stats.record(agent: agent.agentID, function: decoded["func"]?.stringValue ?? "")
        for kind in outcome.publish { publish(kind, context: context) }
        if let reply, let answer = outcome.reply {
            let body = AgentMsgPack.encode(answer)
            var buffer = context.channel.allocator.buffer(capacity: body.readableBytes + reply.utf8.count + 24)
            buffer.writeString("PUB \(reply) \(body.readableBytes)\r\n")
            buffer.writeImmutableBuffer(body)
            buffer.writeString("\r\n")
            sendFrame(buffer, context: context)
            stats.replies.add(1, ordering: .relaxed)
        }
    }

    private func startHello(context: ChannelHandlerContext) {
        // A random first delay spreads the fleet's hellos over the interval, as the agents'
        // random service start delays do.
        let first = TimeAmount.nanoseconds(Int64.random(in: 0...max(1, helloInterval.nanoseconds)))
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        hello = context.eventLoop.scheduleRepeatedTask(initialDelay: first, delay: helloInterval) { _ in
            let handler = bound.value
            if let context = handler.context { handler.publish(.hello, context: context) }
        }
    }

    /// The agent's NATS client pings the server every 35-44 s (docs/agent-protocol.md §2.1);
    /// the PONG is only read.
    private func startPinging(context: ChannelHandlerContext) {
        let interval = TimeAmount.seconds(Int64.random(in: 35..<45))
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        pinger = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let handler = bound.value
            if let context = handler.context { handler.send("PING\r\n", context: context) }
        }
    }

    /// Changes the hello period (benchmarks raise the rate); call on the channel's loop.
    func setHelloInterval(_ interval: TimeAmount) {
        helloInterval = interval
        guard isConnected, let context else { return }
        hello?.cancel()
        startHello(context: context)
    }

    /// Publishes `kind` on the agent's subject with the kind as the reply field.
    func publish(_ kind: AgentTelemetryMessages.Kind, context: ChannelHandlerContext) {
        let body = AgentMsgPack.encode(AgentTelemetryMessages.payload(kind, agent: agent))
        var buffer = context.channel.allocator.buffer(capacity: body.readableBytes + 80)
        buffer.writeString("PUB \(agent.agentID) \(kind.rawValue) \(body.readableBytes)\r\n")
        buffer.writeImmutableBuffer(body)
        buffer.writeString("\r\n")
        sendFrame(buffer, context: context)
        stats.published.add(1, ordering: .relaxed)
    }

    private func send(_ text: String, context: ChannelHandlerContext) {
        sendFrame(context.channel.allocator.buffer(string: text), context: context)
    }

    /// Clients mask every frame (RFC 6455 5.3); nats-server refuses unmasked ones.
    private func sendFrame(_ data: ByteBuffer, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: data)), promise: nil)
    }
}
