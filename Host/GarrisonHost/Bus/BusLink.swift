import NIOConcurrencyHelpers

/// Routes are registered before the bus starts (and with `nats.enabled = false` it never
/// does); they reach it through this link, which does nothing until a bus is attached.
public final class BusLink: Sendable {
    private let bus = NIOLockedValueBox<AgentBus?>(nil)

    public init() {}

    func attach(_ attached: AgentBus?) {
        bus.withLockedValue { $0 = attached }
    }

    /// Sends `command` to the agent and waits for its answer; without a bus that is natsdown.
    public func request(agentID: String, _ command: AgentCommand, timeout: Duration) async -> NATSReply {
        guard let bus = bus.withLockedValue({ $0 }) else { return .natsDown }
        return await bus.connection.request(agentID, command.encoded(), timeout: timeout)
    }

    /// Publishes `command` without a reply subject; false when NATS is down or absent.
    public func publish(agentID: String, _ command: AgentCommand) -> Bool {
        guard let bus = bus.withLockedValue({ $0 }), bus.connection.isConnected else { return false }
        do { try bus.connection.publish(agentID, command.encoded()); return true } catch { return false }
    }

    public var isAttached: Bool { bus.withLockedValue { $0 } != nil }

    /// Connected to NATS right now (false without a bus).
    public var isConnected: Bool { bus.withLockedValue { $0 }?.connection.isConnected ?? false }

    /// The private nats-server's loopback websocket port, when the host runs one.
    public var websocketPort: Int? { bus.withLockedValue { $0 }?.supervisor?.settings.websocketPort }

    /// Agents enrolled or were deleted: reload nats-server's users.
    public func agentsChanged() async {
        await bus.withLockedValue { $0 }?.agentsChanged()
    }
}
