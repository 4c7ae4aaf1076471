import NIOConcurrencyHelpers

/// Job kinds this host can run, with their owners, so a disabled plugin's kinds disappear and
/// its runs stay queued for a host that still has the plugin.
public final class JobRegistry: Sendable {
    private let handlers = NIOLockedValueBox<[String: (owner: String, handler: JobHandler)]>([:])

    public init() {}

    public func register(kind: String, owner: String, _ handler: @escaping JobHandler) throws(SchedulerError) {
        let taken: String? = handlers.withLockedValue { table in
            if let existing = table[kind] { return existing.owner }
            table[kind] = (owner, handler)
            return nil
        }
        if let taken { throw SchedulerError("job kind '\(kind)' is already registered by \(taken)") }
    }

    public func remove(owner: String) {
        handlers.withLockedValue { table in table = table.filter { $0.value.owner != owner } }
    }

    public var kinds: [String] { handlers.withLockedValue { Array($0.keys).sorted() } }

    func handler(for kind: String) -> JobHandler? { handlers.withLockedValue { $0[kind]?.handler } }
}

public struct SchedulerError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
