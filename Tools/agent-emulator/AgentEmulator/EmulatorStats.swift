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

    public init() {}

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
