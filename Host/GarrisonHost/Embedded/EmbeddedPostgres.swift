import CLibPQ
import Foundation
import Logging
import NIOConcurrencyHelpers

/// A private PostgreSQL cluster under the data folder, for `garrison serve` with no
/// `database.url`. PostgreSQL refuses to run as root, so when the host runs as root the
/// cluster belongs to the `postgres` system user (created by Debian's package) and the server
/// runs as that user. The server listens on a Unix socket in the data folder and on a
/// loopback port, with a random password for the `garrison` superuser (administration only)
/// and another for `garrison_owner`, the host's own role (ClusterOwnerRole.swift).
///
/// The postmaster is the host's own child (not daemonized by pg_ctl), spawned so that it gets
/// SIGINT (fast shutdown) when the host dies, however it dies. The folder is locked while it
/// runs; a start finding the lock free stops what a dead host left running in the cluster
/// and removes its stale postmaster.pid, and a start finding the lock taken is refused.
public final class EmbeddedPostgres: Sendable {
    public let root: URL
    public let port: Int
    let logger: Logger
    let runAsUser: String?
    private let running = NIOLockedValueBox<Running?>(nil)
    /// Whether a stop was asked for and a restart is under way (EmbeddedPostgres+Restart).
    let supervision = NIOLockedValueBox(Supervision())

    private struct Running: Sendable {
        let pid: pid_t
        let exit: ChildExit
        let lock: DataFolderLock
    }

    var clusterDirectory: URL { root.appendingPathComponent("cluster") }
    var socketDirectory: URL { root.appendingPathComponent("run") }
    var passwordFile: URL { root.appendingPathComponent("garrison.password") }
    var logFile: URL { root.appendingPathComponent("postgres.log") }
    var pidFile: URL { clusterDirectory.appendingPathComponent("postmaster.pid") }

    /// How long a start waits for the server to accept connections (crash recovery included).
    static let readyTimeout: TimeInterval = 120

    /// - Parameters:
    ///   - root: folder owned by this cluster (created if missing).
    ///   - port: loopback TCP port; 0 picks a free one each start.
    /// PostgreSQL's max_connections. A host needs its pool plus two per plugin; the test
    /// suite's shared cluster serves dozens of hosts at once and asks for more.
    let maxConnections: Int

    public init(root: URL, port: Int = 0, maxConnections: Int = 200, logger: Logger) {
        self.root = root
        self.maxConnections = maxConnections
        self.port = port == 0 ? FreePort.find() : port
        self.logger = logger
        self.runAsUser = geteuid() == 0 ? "postgres" : nil
    }

    /// libpq connection string for the `garrison` database as the superuser; the host's pool
    /// uses `ownerConninfo()`.
    public func conninfo() throws -> String {
        let password = try String(contentsOf: passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return "host=\(socketDirectory.path) port=\(port) dbname=garrison user=garrison password=\(password) connect_timeout=5"
    }

    /// The postmaster's pid while it runs.
    public var serverPID: Int32? { running.withLockedValue { $0?.pid } }

    public func start() throws {
        guard serverPID == nil else { return }
        supervision.withLockedValue { $0.stopped = false }
        let binaries = try PostgresBinaries.locate()
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        var owner: (uid: uid_t, gid: gid_t)?
        if let user = runAsUser {
            let account = try Self.account(user)
            owner = account
            for url in [root, socketDirectory] { _ = chown(url.path, account.uid, account.gid) }
            try checkReachable(user: user, account)
        }
        let lock = try DataFolderLock.acquire(root, what: "PostgreSQL")
        do {
            let fresh = !FileManager.default.fileExists(atPath: clusterDirectory.appendingPathComponent("PG_VERSION").path)
            if fresh { try initialize(binaries, owner: owner) }
            try stopLeftovers()
            try launch(binaries, owner: owner, lock: lock)
            if fresh { try createDatabase(binaries) }
            try ensureOwnerRole()
        } catch {
            if serverPID != nil { stop(immediate: true) } else { lock.release() }
            throw error
        }
        logger.info(
            "embedded PostgreSQL running", metadata: ["dir": "\(clusterDirectory.path)", "port": "\(port)", "pid": "\(serverPID ?? 0)"])
    }

    /// Fast shutdown disconnects clients, checkpoints and exits; immediate (for throwaway
    /// test clusters) skips the checkpoint.
    public func stop(immediate: Bool = false) {
        supervision.withLockedValue { $0.stopped = true }
        guard
            let current = running.withLockedValue({ value -> Running? in
                defer { value = nil }
                return value
            })
        else { return }
        current.exit.stopping = true
        kill(current.pid, immediate ? SIGQUIT : SIGINT)
        if !current.exit.wait(timeout: 60) {
            logger.warning("PostgreSQL did not stop within 60 s; killing it", metadata: ["pid": "\(current.pid)"])
            kill(current.pid, SIGKILL)
            _ = current.exit.wait(timeout: 10)
        }
        current.lock.release()
    }

    /// The server command line: `postgres` itself, so the host is its parent.
    func serverArguments() -> [String] {
        var arguments = [
            "-D", clusterDirectory.path, "-c", "listen_addresses=127.0.0.1", "-p", String(port), "-k", socketDirectory.path,
            "-c", "fsync=on", "-c", "max_connections=\(maxConnections)", "-c", "shared_buffers=128MB",
        ]
        // Extra server settings for the private cluster ("-c work_mem=64MB ..."), for tuning
        // and for profiling (the benchmarks' --pg-statements sets pg_stat_statements here).
        // Split on white space: a value cannot hold a space.
        if let extra = ProcessInfo.processInfo.environment["GARRISON_EMBEDDED_PG_OPTIONS"] {
            arguments += extra.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        }
        return arguments
    }

    func launch(_ binaries: PostgresBinaries, owner: (uid: uid_t, gid: gid_t)?, lock: DataFolderLock) throws {
        let logStart = Self.fileSize(logFile)
        let pid = try ChildProcess.spawn(binaries.postgres, serverArguments(), logFile: logFile, dieWith: .interrupt, user: owner)
        let exit = ChildExit()
        let logger = self.logger
        let logPath = logFile.path
        ChildProcess.watch(pid) { [weak self] code in
            exit.exited(code)
            if !exit.stopping {
                logger.critical(
                    "embedded PostgreSQL exited; restarting it", metadata: ["pid": "\(pid)", "exit": "\(code)", "log": "\(logPath)"])
                self?.restartAfterCrash(of: pid, binaries, owner: owner, lock: lock)
            }
        }
        running.withLockedValue { $0 = Running(pid: pid, exit: exit, lock: lock) }
        let ping = "host=\(socketDirectory.path) port=\(port) dbname=postgres connect_timeout=2"
        let deadline = Date(timeIntervalSinceNow: Self.readyTimeout)
        while PQping(ping) != PQPING_OK {
            if let code = exit.exitCode {
                running.withLockedValue { $0 = nil }
                throw EmbeddedPostgresError(
                    "PostgreSQL exited while starting (exit \(code)): \(Self.logTail(logFile, from: logStart)) See \(logFile.path).")
            }
            if Date() > deadline {
                throw EmbeddedPostgresError("PostgreSQL did not accept connections within \(Int(Self.readyTimeout)) s; see \(logFile.path)")
            }
            usleep(20_000)
        }
    }

    /// The lock is ours, so no live host owns anything running in the cluster: what runs
    /// there was left by a host that died (a postmaster finishing the fast shutdown its
    /// death signal asked for, or one started before hosts sent that signal). It is asked to
    /// stop, then made to. With nothing running there, any postmaster.pid is stale (its pid
    /// dead, a zombie nobody reaped, or reused by another program) and is removed; PostgreSQL
    /// itself would refuse a pid that kill(2) still finds.
    func stopLeftovers() throws {
        // Held as identities: a pid freed while we wait and handed to another program is
        // neither waited for nor signalled.
        var left = ProcessProbe.running(inDirectory: clusterDirectory).compactMap(ProcessProbe.identity)
        if !left.isEmpty {
            let postmaster = ProcessProbe.pid(inFile: pidFile).flatMap { pid in left.first { $0.pid == pid } }
            logger.warning(
                "PostgreSQL processes left by an earlier run are running in the cluster; stopping them",
                metadata: ["pids": "\(left)", "postmaster": "\(postmaster.map(\.description) ?? "none")"])
            for (signal, seconds) in [(SIGINT, 30), (SIGQUIT, 10), (SIGKILL, 5)] {
                if let postmaster, signal != SIGKILL, left.contains(postmaster) {
                    kill(postmaster.pid, signal)
                } else {
                    for process in left { kill(process.pid, signal) }
                }
                let deadline = ContinuousClock.now + .seconds(seconds)
                while !left.isEmpty, ContinuousClock.now < deadline {
                    usleep(20_000)
                    left = left.filter(ProcessProbe.isRunning)
                }
                if left.isEmpty { break }
            }
            guard left.isEmpty else {
                throw EmbeddedPostgresError(
                    "processes \(left) still run in \(clusterDirectory.path) after SIGKILL; stop them and start again")
            }
        }
        if FileManager.default.fileExists(atPath: pidFile.path) {
            logger.warning(
                "removing a stale postmaster.pid", metadata: ["pid": "\(ProcessProbe.pid(inFile: pidFile).map(String.init) ?? "?")"])
            try FileManager.default.removeItem(at: pidFile)
        }
    }

    private func initialize(_ binaries: PostgresBinaries, owner: (uid: uid_t, gid: gid_t)?) throws {
        let password = Crypto.randomHex(bytes: 24)
        try SecretFile.write(password, to: passwordFile)
        // initdb reads the superuser password from a file the server user can read, and
        // nobody else, from the moment it exists.
        let pwfile = root.appendingPathComponent("initdb.pw")
        try SecretFile.write(password, to: pwfile, owner: owner)
        defer { try? FileManager.default.removeItem(at: pwfile) }
        let result = try runServerCommand(
            binaries.initdb,
            [
                "-D", clusterDirectory.path, "-U", "garrison", "--pwfile=\(pwfile.path)",
                "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
            ])
        guard result.status == 0 else {
            throw EmbeddedPostgresError(
                "initdb failed (exit \(result.status)): \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    private func createDatabase(_ binaries: PostgresBinaries) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = try String(contentsOf: passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try Subprocess.run(
            binaries.createdb, ["-h", socketDirectory.path, "-p", String(port), "-U", "garrison", "garrison"], environment: environment)
        guard result.status == 0 || result.output.contains("already exists") else {
            throw EmbeddedPostgresError("createdb failed: \(result.output)")
        }
    }

    private func runServerCommand(_ executable: String, _ arguments: [String]) throws -> ProcessOutput {
        if let user = runAsUser {
            guard let runuser = Subprocess.which("runuser", extraDirectories: ["/usr/sbin", "/sbin"]) else {
                throw EmbeddedPostgresError("running as root needs runuser (util-linux) to run initdb as \(user)")
            }
            return try Subprocess.run(runuser, ["-u", user, "--", executable] + arguments)
        }
        return try Subprocess.run(executable, arguments)
    }

    private static func account(_ user: String) throws -> (uid: uid_t, gid: gid_t) {
        guard let entry = getpwnam(user) else {
            throw EmbeddedPostgresError("the system user '\(user)' does not exist; install Debian's postgresql package or set database.url")
        }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// The postgres user must reach the cluster through every parent. Nothing outside the
    /// data folder is changed to make that so: what it cannot enter is said instead.
    private func checkReachable(user: String, _ account: (uid: uid_t, gid: gid_t)) throws {
        let blocked = ClusterAccess.unreachableParents(of: root, uid: account.uid, gid: account.gid, user: user)
        guard !blocked.isEmpty else { return }
        let message =
            "PostgreSQL runs as the '\(user)' user, which cannot enter \(blocked.joined(separator: ", ")); "
            + "let it in (chmod o+x on each) or put the data folder (data.dir, GARRISON_DATA_DIR) where it can reach, e.g. /var/lib/garrison"
        logger.error("\(message)")
        throw EmbeddedPostgresError(message)
    }

    private static func fileSize(_ url: URL) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// The last lines PostgreSQL logged since `offset`, for an error that must say why.
    private static func logTail(_ url: URL, from offset: UInt64) -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return "" }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let text = String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
        return text.split(separator: "\n").suffix(5).joined(separator: " | ")
    }
}

public struct EmbeddedPostgresError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// initdb, postgres and createdb from Debian's versioned folder or PATH.
struct PostgresBinaries {
    let initdb: String
    let postgres: String
    let createdb: String

    static func locate() throws -> PostgresBinaries {
        var folders: [String] = []
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            folders = versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
        }
        guard let initdb = Subprocess.which("initdb", extraDirectories: folders),
            let postgres = Subprocess.which("postgres", extraDirectories: folders),
            let createdb = Subprocess.which("createdb", extraDirectories: folders)
        else {
            throw EmbeddedPostgresError(
                "PostgreSQL server binaries (initdb, postgres) were not found; install Debian's postgresql package or set database.url")
        }
        return PostgresBinaries(initdb: initdb, postgres: postgres, createdb: createdb)
    }
}
