import Logging
import NIOConcurrencyHelpers

/// The host's in-process event bus: core code and plugins publish named JSON events
/// ("agent.online"), subscribers receive those matching an exact name or a prefix ending in
/// '*'. Delivery is asynchronous -- never inside `publish` -- at most once, in publish order
/// for each subscriber, and nothing is replayed to later subscribers.
public final class EventBus: Sendable {
    public struct Event: Sendable, Equatable {
        public let name: String
        /// A JSON object, as text.
        public let json: String
    }

    public typealias Handler = @Sendable (Event) -> Void

    struct Subscription: Sendable {
        let id: UInt64
        let owner: String
        let pattern: String
        let handler: Handler
    }

    private let subscriptions = NIOLockedValueBox<[Subscription]>([])
    private let nextID = NIOLockedValueBox<UInt64>(0)
    private let queue: AsyncStream<Event>.Continuation
    private let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
        let (stream, queue) = AsyncStream<Event>.makeStream()
        self.queue = queue
        // One delivery loop: publishers never wait for subscribers, subscribers see events in order.
        let subscriptions = self.subscriptions
        Task {
            for await event in stream {
                for subscription in subscriptions.withLockedValue({ $0 }) where Self.matches(subscription.pattern, event.name) {
                    subscription.handler(event)
                }
            }
        }
    }

    /// Queues `event` for delivery and returns at once.
    public func publish(_ name: String, json: String) {
        queue.yield(Event(name: name, json: json))
    }

    public func publish(_ name: String, _ object: [String: JSON]) {
        publish(name, json: JSON.object(object).databaseText)
    }

    @discardableResult
    public func subscribe(owner: String, pattern: String, _ handler: @escaping Handler) -> UInt64 {
        let id = nextID.withLockedValue {
            $0 += 1; return $0
        }
        subscriptions.withLockedValue { $0.append(Subscription(id: id, owner: owner, pattern: pattern, handler: handler)) }
        return id
    }

    /// Removes every subscription of `owner`; events already queued no longer reach them.
    public func unsubscribe(owner: String) {
        subscriptions.withLockedValue { $0.removeAll { $0.owner == owner } }
    }

    /// Ends the delivery loop (host shutdown); later publishes are dropped.
    public func close() {
        queue.finish()
    }

    /// A pattern is an exact name, or a prefix followed by one '*' at the end ("*" matches all).
    public static func isValidPattern(_ pattern: String) -> Bool {
        guard !pattern.isEmpty, let star = pattern.firstIndex(of: "*") else { return !pattern.isEmpty }
        return star == pattern.index(before: pattern.endIndex)
    }

    static func matches(_ pattern: String, _ name: String) -> Bool {
        if pattern.hasSuffix("*") { return name.hasPrefix(pattern.dropLast()) }
        return pattern == name
    }
}
