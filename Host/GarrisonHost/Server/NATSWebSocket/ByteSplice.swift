import NIOCore

/// Joins two channels byte for byte: what one side reads, the other writes, buffers passed
/// through as they are. Back-pressure as in swift-nio's connect-proxy example (GlueHandler):
/// a side asks its socket for more only while the partner is writable, so a slow reader on
/// one end stops reading on the other instead of queueing without bound. Both channels must
/// be on the same event loop; the pair is made and wired there.
final class ByteSplice: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: ByteSplice?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    private init() {}

    static func pair() -> (ByteSplice, ByteSplice) {
        let first = ByteSplice()
        let second = ByteSplice()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.partner = nil
    }

    // What the partner asks of this side.

    fileprivate func partnerWrite(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    fileprivate func partnerFlush() {
        context?.flush()
    }

    fileprivate func partnerClosed() {
        context?.close(promise: nil)
    }

    fileprivate func partnerBecameWritable() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }

    fileprivate var isWritable: Bool { context?.channel.isWritable ?? false }

    /// Writes bytes that arrived before the splice existed (the upgrade request) to this side.
    func send(_ buffer: ByteBuffer) {
        context?.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    // Channel events.

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.partnerWrite(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.partnerFlush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.partnerClosed()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if partner?.isWritable ?? false {
            context.read()
        } else {
            pendingRead = true
        }
    }
}
