import NIOConcurrencyHelpers

/// Routes are registered before the bus starts (and with `nats.enabled = false` it never
/// does); they reach it through this link, which does nothing until a bus is attached.
public final class BusLink: Sendable {
    private let bus = NIOLockedValueBox<AgentBus?>(nil)

    public init() {}

    func attach(_ attached: AgentBus?) {
        bus.withLockedValue { $0 = attached }
    }

    /// Agents enrolled or were deleted: reload nats-server's users.
    public func agentsChanged() async {
        await bus.withLockedValue { $0 }?.agentsChanged()
    }
}
