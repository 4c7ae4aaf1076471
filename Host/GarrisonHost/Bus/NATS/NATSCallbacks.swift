import CNats

/// Swift state handed to libnats as a `void *closure`. libnats calls back on its own
/// threads; the handler only copies the message and hands it on (to a lock-protected
/// buffer or an AsyncStream), so no Swift concurrency context is entered from a C thread.
final class NATSHandlerBox: Sendable {
    let handler: @Sendable (NATSMessage) -> Void
    init(_ handler: @escaping @Sendable (NATSMessage) -> Void) { self.handler = handler }
}

final class NATSEventBox: Sendable {
    let handler: @Sendable (NATSConnection.Event) -> Void
    init(_ handler: @escaping @Sendable (NATSConnection.Event) -> Void) { self.handler = handler }
}

/// The one C entry point for every subscription: copies the message, frees libnats' copy,
/// and calls the box's handler. A global (not in main.swift) so it is a plain C function.
let natsMessageTrampoline: natsMsgHandler = { _, _, message, closure in
    guard let message else { return }
    defer { natsMsg_Destroy(message) }
    guard let closure else { return }
    let box = Unmanaged<NATSHandlerBox>.fromOpaque(closure).takeUnretainedValue()
    box.handler(NATSMessage(copying: message))
}

let natsDisconnectedTrampoline: natsConnectionHandler = { _, closure in
    guard let closure else { return }
    Unmanaged<NATSEventBox>.fromOpaque(closure).takeUnretainedValue().handler(.disconnected)
}

let natsReconnectedTrampoline: natsConnectionHandler = { _, closure in
    guard let closure else { return }
    Unmanaged<NATSEventBox>.fromOpaque(closure).takeUnretainedValue().handler(.reconnected)
}

/// Given to natsOptions_SetRetryOnFailedConnect so that connecting never blocks: with a
/// callback, libnats keeps trying in the background and reports through `reconnected`.
let natsConnectedTrampoline: natsConnectionHandler = { _, closure in
    guard let closure else { return }
    Unmanaged<NATSEventBox>.fromOpaque(closure).takeUnretainedValue().handler(.reconnected)
}
