import Foundation
import Logging
import Testing
@testable import GarrisonHost

@Suite(.serialized) struct EmbeddedPostgresTests {
    /// Started as root, the cluster must belong to the `postgres` user (PostgreSQL refuses
    /// root) and still be reachable by the host.
    @Test(.enabled(if: geteuid() == 0)) func asRootTheClusterRunsAsThePostgresUser() async throws {
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-pgroot-\(Crypto.randomHex(bytes: 4))")
        defer { try? FileManager.default.removeItem(at: root) }
        let cluster = EmbeddedPostgres(root: root, logger: Logger(label: "t"))
        try cluster.start()
        defer { cluster.stop(immediate: true) }
        let attributes = try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent("cluster").path)
        #expect(attributes[.ownerAccountName] as? String == "postgres")
        let connection = try PGConnection(conninfo: try cluster.conninfo())
        #expect(try connection.query("SELECT current_user AS u").first?["u"] == "garrison")
        // A restart on the existing folder reuses the cluster and its password.
        cluster.stop()
        try cluster.start()
        #expect(try PGConnection(conninfo: try cluster.conninfo()).isHealthy)
    }

    /// The same `garrison migrate`, run as an unprivileged user, runs initdb and pg_ctl itself.
    @Test func asAnUnprivilegedUserTheHostRunsPostgreSQLItself() async throws {
        let data = URL(fileURLWithPath: "/tmp").appendingPathComponent("garrison-nonroot-\(Crypto.randomHex(bytes: 4))")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: data) }
        var command = [PackagePaths.garrison.path, "migrate"]
        if geteuid() == 0 {
            // Hand the folder to `nobody` and run the host as that user.
            guard let nobody = getpwnam("nobody") else { Issue.record("no 'nobody' user"); return }
            chown(data.path, nobody.pointee.pw_uid, nobody.pointee.pw_gid)
            command = ["/usr/sbin/runuser", "-u", "nobody", "--"] + command
        }
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GARRISON_") }
        environment["GARRISON_DATA_DIR"] = data.path
        environment["HOME"] = data.path
        let result = try Subprocess.run(command[0], Array(command.dropFirst()), environment: environment)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("migrations applied"))
        let attributes = try FileManager.default.attributesOfItem(atPath: data.appendingPathComponent("postgres/cluster").path)
        if geteuid() == 0 { #expect(attributes[.ownerAccountName] as? String == "nobody") }
        // migrate stopped the cluster on its way out.
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("postgres/cluster/postmaster.pid").path))
    }
}
