import Foundation
import Logging
@testable import GarrisonHost

/// One real PostgreSQL for the whole test run, started on a free loopback port under a
/// temporary folder (through the same EmbeddedPostgres the server uses) and stopped at exit.
/// Each test gets a database of its own in it.
actor TestCluster {
    static let shared = TestCluster()

    private var cluster: EmbeddedPostgres?
    private var root: URL?

    func server() throws -> EmbeddedPostgres {
        if let cluster { return cluster }
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-test-pg-\(getpid())")
        try? FileManager.default.removeItem(at: root)
        // Every test host opens its pool and two connections per plugin, and the suite runs
        // many at once: 200 ran out once the shipped plugins were five.
        let cluster = EmbeddedPostgres(root: root, maxConnections: 1000, logger: Logger(label: "test-pg"))
        try cluster.start()
        self.cluster = cluster
        self.root = root
        TestClusterCleanup.register(cluster: cluster, root: root)
        return cluster
    }

    /// A fresh, empty database; returns its libpq connection string. The database is set up
    /// as the private cluster sets up `garrison` -- created by the superuser, then handed to
    /// the non-superuser owner role -- and the connection string logs in as that owner role,
    /// so tests run with the host's production privileges.
    func createDatabase() throws -> String {
        let cluster = try server()
        let name = "t_" + Crypto.randomHex(bytes: 6)
        let admin = try PGConnection(conninfo: try cluster.adminConninfo(database: "postgres"))
        try admin.query("CREATE DATABASE \(name)")
        try cluster.adopt(database: name)
        return try cluster.ownerConninfo(database: name)
    }
}

/// Stops the test cluster when the test process exits, so no server outlives the run.
enum TestClusterCleanup {
    nonisolated(unsafe) static var cluster: EmbeddedPostgres?
    nonisolated(unsafe) static var root: URL?

    static func register(cluster: EmbeddedPostgres, root: URL) {
        self.cluster = cluster
        self.root = root
        atexit {
            TestClusterCleanup.cluster?.stop(immediate: true)
            if let root = TestClusterCleanup.root { try? FileManager.default.removeItem(at: root) }
        }
    }
}
