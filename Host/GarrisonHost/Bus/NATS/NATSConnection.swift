import CNats
import Logging
import NIOConcurrencyHelpers

/// The host's connection to nats-server through libnats. It reconnects forever (the bus
/// is supervised and comes back), sends without libnats' flush delay (SendAsap: about
/// 1 ms saved per request/reply, plugin-abi-research.md B.3), and buffers publishes made
/// while it is reconnecting. libnats connections are thread-safe, hence @unchecked.
public final class NATSConnection: @unchecked Sendable {
    public enum Event: Sendable { case disconnected, reconnected }

    public struct Options: Sendable {
        public var url: String
        public var user: String?
        public var password: String?
        public var name = "garrison-host"
        public var reconnectWait: Duration = .milliseconds(250)
        /// TLS without checking the server's certificate: only for the host's own nats-server
        /// child on loopback, whose TLS-only client port is shared with agents (its certificate
        /// names the public host, not 127.0.0.1).
        public var tlsToOwnChild = false

        public init(url: String, user: String? = nil, password: String? = nil) {
            self.url = url
            self.user = user
            self.password = password
        }
    }

    let handle: OpaquePointer
    let logger: Logger
    let requests: NATSRequestMux
    private let closed = NIOLockedValueBox(false)

    /// Connects, or keeps trying in the background if the server is not up yet; either way
    /// the connection is usable at once (publishes are buffered until it is connected).
    public static func connect(_ options: Options, logger: Logger, onEvent: @escaping @Sendable (Event) -> Void = { _ in }) throws
        -> NATSConnection
    {
        var opts: OpaquePointer?
        try check(natsOptions_Create(&opts), "nats options")
        defer { natsOptions_Destroy(opts) }
        let events = NATSEventBox { event in
            switch event {
            case .disconnected: logger.warning("NATS disconnected; reconnecting")
            case .reconnected: logger.info("NATS connected")
            }
            onEvent(event)
        }
        // Lives as long as the process: libnats may call back until its threads are gone.
        let eventsPointer = Unmanaged.passRetained(events).toOpaque()
        try check(natsOptions_SetURL(opts, options.url), "nats url")
        if let user = options.user {
            try check(natsOptions_SetUserInfo(opts, user, options.password ?? ""), "nats user")
        }
        try check(natsOptions_SetName(opts, options.name), "nats name")
        try check(natsOptions_SetMaxReconnect(opts, -1), "nats reconnect")
        try check(natsOptions_SetReconnectWait(opts, Int64(options.reconnectWait.milliseconds)), "nats reconnect wait")
        try check(natsOptions_SetSendAsap(opts, true), "nats send asap")
        if options.tlsToOwnChild {
            try check(natsOptions_SetSecure(opts, true), "nats tls")
            try check(natsOptions_SkipServerVerification(opts, true), "nats tls")
        }
        try check(natsOptions_SetDisconnectedCB(opts, natsDisconnectedTrampoline, eventsPointer), "nats callback")
        try check(natsOptions_SetReconnectedCB(opts, natsReconnectedTrampoline, eventsPointer), "nats callback")
        try check(natsOptions_SetRetryOnFailedConnect(opts, true, natsConnectedTrampoline, eventsPointer), "nats retry")
        var connection: OpaquePointer?
        let status = natsConnection_Connect(&connection, opts)
        guard status == NATS_OK || status == NATS_NOT_YET_CONNECTED, let connection else {
            throw NATSError("cannot connect to \(NATSURL.redacted(options.url))", status)
        }
        if status == NATS_NOT_YET_CONNECTED {
            logger.notice("NATS not reachable yet; retrying in the background", metadata: ["url": "\(NATSURL.redacted(options.url))"])
        }
        return NATSConnection(handle: connection, logger: logger)
    }

    private init(handle: OpaquePointer, logger: Logger) {
        self.handle = handle
        self.logger = logger
        self.requests = NATSRequestMux()
    }

    public var isConnected: Bool { natsConnection_Status(handle) == NATS_CONN_STATUS_CONNECTED }

    public func publish(_ subject: String, _ data: [UInt8], reply: String? = nil) throws {
        let status = data.withUnsafeBytes { bytes in
            if let reply { return natsConnection_PublishRequest(handle, subject, reply, bytes.baseAddress, Int32(bytes.count)) }
            return natsConnection_Publish(handle, subject, bytes.baseAddress, Int32(bytes.count))
        }
        try Self.check(status, "publish to \(subject)")
    }

    /// Calls `handler` on a libnats thread for every message; it must not block. With a
    /// queue group, each message goes to one member only (several hosts, one bus).
    @discardableResult
    public func subscribe(_ subject: String, queue: String? = nil, _ handler: @escaping @Sendable (NATSMessage) -> Void) throws
        -> NATSSubscription
    {
        // Retained for the life of the process, like the event box: a message may still be
        // in delivery on a libnats thread while the subscription is being removed.
        let closure = Unmanaged.passRetained(NATSHandlerBox(handler)).toOpaque()
        var subscription: OpaquePointer?
        let status: natsStatus
        if let queue {
            status = natsConnection_QueueSubscribe(&subscription, handle, subject, queue, natsMessageTrampoline, closure)
        } else {
            status = natsConnection_Subscribe(&subscription, handle, subject, natsMessageTrampoline, closure)
        }
        try Self.check(status, "subscribe to \(subject)")
        // Bursts (every agent reconnecting at once) must queue, not be dropped as slow-consumer.
        _ = natsSubscription_SetPendingLimits(subscription, 1_000_000, 512 * 1024 * 1024)
        return NATSSubscription(handle: subscription!)
    }

    /// Waits until the server has processed everything sent so far (tests, shutdown).
    public func flush(timeout: Duration = .seconds(5)) throws {
        try Self.check(natsConnection_FlushTimeout(handle, Int64(timeout.milliseconds)), "flush")
    }

    public func close() {
        let first = closed.withLockedValue { wasClosed -> Bool in
            defer { wasClosed = true }
            return !wasClosed
        }
        guard first else { return }
        requests.failAll()
        natsConnection_Close(handle)
        natsConnection_Destroy(handle)
    }

    static func check(_ status: natsStatus, _ what: String) throws {
        guard status == NATS_OK else { throw NATSError(what, status) }
    }
}

public final class NATSSubscription: @unchecked Sendable {
    let handle: OpaquePointer
    init(handle: OpaquePointer) { self.handle = handle }

    public func unsubscribe() {
        natsSubscription_Unsubscribe(handle)
    }
}

extension Duration {
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
