import Synchronization

/// Counters shared by every agent of a fleet, read by the command line and the benchmarks.
public final class EmulatorStats: Sendable {
    public let connected = Atomic<Int>(0)
    public let failedConnects = Atomic<Int>(0)
    public let disconnects = Atomic<Int>(0)
    public let published = Atomic<Int>(0)
    public let commands = Atomic<Int>(0)
    public let replies = Atomic<Int>(0)
    public let serverErrors = Atomic<Int>(0)
    /// How many times each agent received each function, when `recordsCommands` is set (tests
    /// that must see every agent do something exactly once).
    public let recordsCommands = Atomic<Bool>(false)
    private let received = Mutex<[String: [String: Int]]>([:])

    public init() {}

    func record(agent: String, function: String) {
        guard recordsCommands.load(ordering: .relaxed) else { return }
        received.withLock { $0[agent, default: [:]][function, default: 0] += 1 }
    }

    /// Per agent, how many times it received `function`.
    public func received(_ function: String) -> [String: Int] {
        received.withLock { all in all.compactMapValues { $0[function] } }
    }

    public struct Snapshot: Sendable, CustomStringConvertible {
        public var connected, failedConnects, disconnects, published, commands, replies, serverErrors: Int
        public var description: String {
            "connected \(connected), failed connects \(failedConnects), disconnects \(disconnects), published \(published), commands \(commands), replies \(replies), server errors \(serverErrors)"
        }
    }

    public var snapshot: Snapshot {
        Snapshot(
            connected: connected.load(ordering: .relaxed), failedConnects: failedConnects.load(ordering: .relaxed),
            disconnects: disconnects.load(ordering: .relaxed), published: published.load(ordering: .relaxed),
            commands: commands.load(ordering: .relaxed), replies: replies.load(ordering: .relaxed),
            serverErrors: serverErrors.load(ordering: .relaxed))
    }
}
