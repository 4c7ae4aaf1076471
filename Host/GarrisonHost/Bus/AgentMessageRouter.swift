import NIOConcurrencyHelpers

/// Agent publishes whose reply tag is not core telemetry but one a plugin registered with
/// register_agent_handler. Looked up on the libnats delivery thread, so a plain locked map.
public final class AgentMessageRouter: Sendable {
    /// agent_id, tag, the message as JSON text. Must not block.
    public typealias Handler = @Sendable (String, String, String) -> Void

    private let handlers = NIOLockedValueBox<[String: (owner: String, handler: Handler)]>([:])

    public init() {}

    public func add(tag: String, owner: String, _ handler: @escaping Handler) {
        handlers.withLockedValue { $0[tag] = (owner, handler) }
    }

    public func remove(owner: String) {
        handlers.withLockedValue { $0 = $0.filter { $0.value.owner != owner } }
    }

    func handler(for tag: String) -> Handler? { handlers.withLockedValue { $0[tag]?.handler } }
}
