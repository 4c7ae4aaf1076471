import CNats

/// A message copied out of libnats, so it outlives the C callback that delivered it.
public struct NATSMessage: Sendable {
    public let subject: String
    /// For agent telemetry this is the message kind ("agent-hello"), not a reply inbox.
    public let reply: String?
    public let data: [UInt8]
    /// The server's "no responders" status: the request's subject had no subscriber.
    public let isNoResponders: Bool

    init(copying message: OpaquePointer) {
        subject = String(cString: natsMsg_GetSubject(message))
        reply = natsMsg_GetReply(message).map { String(cString: $0) }
        let count = Int(natsMsg_GetDataLength(message))
        if count > 0, let bytes = natsMsg_GetData(message) {
            data = bytes.withMemoryRebound(to: UInt8.self, capacity: count) { Array(UnsafeBufferPointer(start: $0, count: count)) }
        } else {
            data = []
        }
        isNoResponders = natsMsg_IsNoResponders(message)
    }
}

/// The outcome of a request, with the two failures Tactical RMM's server distinguishes
/// (docs/agent-protocol.md §4.1): nobody answered in time, or the bus itself is unreachable.
public enum NATSReply: Sendable, Equatable {
    case reply([UInt8])
    case timeout
    case natsDown
}

public struct NATSError: Error, CustomStringConvertible {
    public let description: String

    init(_ what: String, _ status: natsStatus) {
        description = "\(what): \(String(cString: natsStatus_GetText(status)))"
    }
}
