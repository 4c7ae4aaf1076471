import Foundation
import Logging

/// A private PostgreSQL cluster under the data folder, for `garrison serve` with no
/// `database.url`. PostgreSQL refuses to run as root, so when the host runs as root the
/// cluster belongs to the `postgres` system user (created by Debian's package) and every
/// server command runs through `runuser`. The server listens on a Unix socket in the data
/// folder and on a loopback port, with a random password for the `garrison` role.
public final class EmbeddedPostgres: Sendable {
    public let root: URL
    public let port: Int
    let logger: Logger
    let runAsUser: String?

    var clusterDirectory: URL { root.appendingPathComponent("cluster") }
    var socketDirectory: URL { root.appendingPathComponent("run") }
    var passwordFile: URL { root.appendingPathComponent("garrison.password") }
    var logFile: URL { root.appendingPathComponent("postgres.log") }

    /// - Parameters:
    ///   - root: folder owned by this cluster (created if missing).
    ///   - port: loopback TCP port; 0 picks a free one each start.
    public init(root: URL, port: Int = 0, logger: Logger) {
        self.root = root
        self.port = port == 0 ? FreePort.find() : port
        self.logger = logger
        self.runAsUser = geteuid() == 0 ? "postgres" : nil
    }

    /// libpq connection string for the `garrison` database.
    public func conninfo() throws -> String {
        let password = try String(contentsOf: passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return "host=\(socketDirectory.path) port=\(port) dbname=garrison user=garrison password=\(password) connect_timeout=5"
    }

    public func start() throws {
        let binaries = try PostgresBinaries.locate()
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        if let user = runAsUser {
            try chownTree([root, socketDirectory], to: user)
            // The postgres user must be able to reach the folder through every parent.
            try allowTraversal(of: root)
        }
        let fresh = !FileManager.default.fileExists(atPath: clusterDirectory.appendingPathComponent("PG_VERSION").path)
        if fresh { try initialize(binaries) }
        try removeStalePid()
        var options = "-c listen_addresses=127.0.0.1 -p \(port) -k \(socketDirectory.path) -c fsync=on -c max_connections=200 -c shared_buffers=128MB"
        // Extra server settings for the private cluster ("-c work_mem=64MB ..."), for tuning
        // and for profiling (the benchmarks' --pg-statements sets pg_stat_statements here).
        if let extra = ProcessInfo.processInfo.environment["GARRISON_EMBEDDED_PG_OPTIONS"], !extra.isEmpty { options += " " + extra }
        let result = try runServerCommand(binaries.pgctl, ["-D", clusterDirectory.path, "-l", logFile.path, "-w", "-t", "60", "-o", options, "start"])
        guard result.status == 0 else {
            throw EmbeddedPostgresError("pg_ctl start failed (exit \(result.status)): \(result.output.trimmingCharacters(in: .whitespacesAndNewlines)). See \(logFile.path).")
        }
        if fresh { try createDatabase(binaries) }
        logger.info("embedded PostgreSQL running", metadata: ["dir": "\(clusterDirectory.path)", "port": "\(port)"])
    }

    /// Fast shutdown disconnects clients, checkpoints and exits; immediate (for throwaway
    /// test clusters) skips the checkpoint.
    public func stop(immediate: Bool = false) {
        guard let binaries = try? PostgresBinaries.locate() else { return }
        let result = try? runServerCommand(binaries.pgctl, ["-D", clusterDirectory.path, "-m", immediate ? "immediate" : "fast", "-w", "-t", "30", "stop"])
        if let result, result.status != 0 {
            logger.warning("pg_ctl stop failed", metadata: ["output": "\(result.output)"])
        }
    }

    private func initialize(_ binaries: PostgresBinaries) throws {
        let password = Crypto.randomHex(bytes: 24)
        try password.write(to: passwordFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: passwordFile.path)
        // initdb reads the superuser password from a file the server user can read.
        let pwfile = root.appendingPathComponent("initdb.pw")
        try password.write(to: pwfile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: pwfile) }
        if let user = runAsUser { try chownTree([pwfile], to: user) }
        let result = try runServerCommand(binaries.initdb, [
            "-D", clusterDirectory.path, "-U", "garrison", "--pwfile=\(pwfile.path)",
            "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
        ])
        guard result.status == 0 else {
            throw EmbeddedPostgresError("initdb failed (exit \(result.status)): \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    private func createDatabase(_ binaries: PostgresBinaries) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = try String(contentsOf: passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try Subprocess.run(binaries.createdb, ["-h", socketDirectory.path, "-p", String(port), "-U", "garrison", "garrison"], environment: environment)
        guard result.status == 0 || result.output.contains("already exists") else {
            throw EmbeddedPostgresError("createdb failed: \(result.output)")
        }
    }

    /// A pid file left by a killed server would make pg_ctl refuse to start.
    private func removeStalePid() throws {
        let pidFile = clusterDirectory.appendingPathComponent("postmaster.pid")
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8),
              let pid = text.split(separator: "\n").first.flatMap({ Int32($0) }) else { return }
        if kill(pid, 0) != 0 && errno == ESRCH {
            logger.warning("removing stale postmaster.pid", metadata: ["pid": "\(pid)"])
            try FileManager.default.removeItem(at: pidFile)
        }
    }

    private func runServerCommand(_ executable: String, _ arguments: [String]) throws -> ProcessOutput {
        if let user = runAsUser {
            guard let runuser = Subprocess.which("runuser", extraDirectories: ["/usr/sbin", "/sbin"]) else {
                throw EmbeddedPostgresError("running as root needs runuser (util-linux) to start PostgreSQL as \(user)")
            }
            return try Subprocess.run(runuser, ["-u", user, "--", executable] + arguments)
        }
        return try Subprocess.run(executable, arguments)
    }

    private func chownTree(_ urls: [URL], to user: String) throws {
        guard let entry = getpwnam(user) else {
            throw EmbeddedPostgresError("the system user '\(user)' does not exist; install Debian's postgresql package or set database.url")
        }
        for url in urls { _ = chown(url.path, entry.pointee.pw_uid, entry.pointee.pw_gid) }
    }

    private func allowTraversal(of url: URL) throws {
        var current = url.deletingLastPathComponent()
        while current.path != "/" {
            var info = stat()
            if stat(current.path, &info) == 0, info.st_mode & 0o001 == 0 {
                _ = chmod(current.path, info.st_mode | 0o001)
            }
            current = current.deletingLastPathComponent()
        }
    }
}

public struct EmbeddedPostgresError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// initdb, pg_ctl and createdb from Debian's versioned folder or PATH.
struct PostgresBinaries {
    let initdb: String
    let pgctl: String
    let createdb: String

    static func locate() throws -> PostgresBinaries {
        var folders: [String] = []
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            folders = versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
        }
        guard let initdb = Subprocess.which("initdb", extraDirectories: folders),
              let pgctl = Subprocess.which("pg_ctl", extraDirectories: folders),
              let createdb = Subprocess.which("createdb", extraDirectories: folders) else {
            throw EmbeddedPostgresError("PostgreSQL server binaries (initdb, pg_ctl) were not found; install Debian's postgresql package or set database.url")
        }
        return PostgresBinaries(initdb: initdb, pgctl: pgctl, createdb: createdb)
    }
}
