import CGarrisonPlugin
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One event from the host's event bus.
public struct PluginEvent: Sendable {
    public let name: String
    public let json: JSON
}

/// One message an agent sent with a reply tag the plugin registered.
public struct AgentMessage: Sendable {
    public let agentID: String
    public let replyTag: String
    public let payload: JSON
}

final class EventBox: RegistrationBox, @unchecked Sendable {
    let handler: @Sendable (PluginEvent) async -> Void

    init(host: PluginHost, handler: @escaping @Sendable (PluginEvent) async -> Void) {
        self.handler = handler
        super.init(host: host)
    }
}

final class AgentMessageBox: RegistrationBox, @unchecked Sendable {
    let handler: @Sendable (AgentMessage) async -> Void

    init(host: PluginHost, handler: @escaping @Sendable (AgentMessage) async -> Void) {
        self.handler = handler
        super.init(host: host)
    }
}

/// garrison_event_fn: copies the event and hands it to a Task, because the
/// callback must not block and delivery order is not guaranteed anyway.
func pluginKitEvent(_ user: UnsafeMutableRawPointer?, _ name: garrison_bytes, _ json: garrison_bytes) {
    guard let user else { return }
    let box = Unmanaged<EventBox>.fromOpaque(user).takeUnretainedValue()
    let event = PluginEvent(name: name.string, json: (try? JSON(parsing: json.data)) ?? .null)
    Task { await box.handler(event) }
}

/// garrison_agent_msg_fn, handled like events.
func pluginKitAgentMessage(
    _ user: UnsafeMutableRawPointer?, _ agentID: garrison_bytes, _ replyTag: garrison_bytes,
    _ payload: garrison_bytes
) {
    guard let user else { return }
    let box = Unmanaged<AgentMessageBox>.fromOpaque(user).takeUnretainedValue()
    let message = AgentMessage(
        agentID: agentID.string, replyTag: replyTag.string,
        payload: (try? JSON(parsing: payload.data)) ?? .null)
    Task { await box.handler(message) }
}

extension Registrar {
    /// Receives events: an exact name ("agent.online") or a prefix ending in
    /// "*" ("agent.*", "*"). Each event runs `handler` in its own Task.
    public func subscribe(
        _ pattern: String, handler: @escaping @Sendable (PluginEvent) async -> Void
    ) throws {
        try ensureOpen("event_subscribe \(pattern)")
        let subscribe = host.api.required(\.event_subscribe)
        let handle = host.handle
        try register("event_subscribe \(pattern)", EventBox(host: host, handler: handler)) { user in
            pattern.withGarrisonBytes {
                subscribe(handle, $0, pluginKitEvent, user, pluginKitFree, nil)
            }
        }
    }

    /// Receives agent messages carrying `replyTag`, each in its own Task.
    public func agentHandler(
        replyTag: String, handler: @escaping @Sendable (AgentMessage) async -> Void
    ) throws {
        try ensureOpen("register_agent_handler \(replyTag)")
        let registerHandler = host.api.required(\.register_agent_handler)
        let handle = host.handle
        try register("register_agent_handler \(replyTag)", AgentMessageBox(host: host, handler: handler)) { user in
            replyTag.withGarrisonBytes {
                registerHandler(handle, $0, pluginKitAgentMessage, user, pluginKitFree, nil)
            }
        }
    }
}
