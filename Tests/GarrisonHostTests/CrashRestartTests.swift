import Foundation
import Logging
import Testing
@testable import GarrisonHost

/// A host killed with SIGKILL takes its private PostgreSQL and nats-server with it, and the
/// next start on the same data folder comes up; what a dead host left behind is recognised
/// and handled, and a live owner of the folder is refused by name.
@Suite(.serialized) struct CrashRestartTests {
    static let logger = Logger(label: "crash-test")

    /// The real `garrison serve` on its embedded defaults, killed with SIGKILL.
    @Test func aKilledHostsChildrenDieAndTheNextServeComesUp() async throws {
        let folder = try Self.temporaryFolder("crash")
        defer { try? FileManager.default.removeItem(at: folder) }
        let host = ServeProcess(folder: folder, port: FreePort.find())
        let first = try host.start()
        try await host.awaitStatus200(timeout: .seconds(90))
        let data = folder.appendingPathComponent("data")
        let cluster = data.appendingPathComponent("postgres/cluster")
        let postgres = try #require(
            ProcessProbe.pid(inFile: cluster.appendingPathComponent("postmaster.pid")).flatMap(ProcessProbe.identity))
        let nats = try #require(
            ProcessProbe.pid(inFile: data.appendingPathComponent("nats/nats-server.pid")).flatMap(ProcessProbe.identity))
        #expect(ProcessProbe.isRunning(postgres) && ProcessProbe.isRunning(nats))

        kill(first.pid, SIGKILL)
        #expect(first.exit.wait(timeout: 10))
        try await eventually("the dead host's PostgreSQL and nats-server to exit", timeout: .seconds(15)) {
            !ProcessProbe.isRunning(postgres) && !ProcessProbe.isRunning(nats) && ProcessProbe.running(inDirectory: cluster).isEmpty
        }

        let second = try host.start()
        defer { host.stop(second) }
        try await host.awaitStatus200(timeout: .seconds(60))
    }

    /// A postmaster that a dead host left running (started before hosts gave their children a
    /// death signal: here by pg_ctl, which daemonizes) is stopped, and the cluster starts.
    @Test func aPostmasterLeftRunningInTheClusterIsStoppedOnStart() throws {
        let root = try Self.temporaryFolder("pgleft")
        defer { try? FileManager.default.removeItem(at: root) }
        let cluster = EmbeddedPostgres(root: root, logger: Self.logger)
        try cluster.start()
        cluster.stop(immediate: true)

        let binaries = try PostgresBinaries.locate()
        let pgctl = URL(fileURLWithPath: binaries.postgres).deletingLastPathComponent().appendingPathComponent("pg_ctl").path
        var command = [
            pgctl, "-D", cluster.clusterDirectory.path, "-l", root.appendingPathComponent("left.log").path, "-w",
            "-o", "-c listen_addresses='' -k \(cluster.socketDirectory.path) -p \(FreePort.find())", "start",
        ]
        if geteuid() == 0 { command = ["/usr/sbin/runuser", "-u", "postgres", "--"] + command }
        let started = try Subprocess.run(command[0], Array(command.dropFirst()))
        try #require(started.status == 0, "\(started.output)")
        let leftover = try #require(ProcessProbe.pid(inFile: cluster.pidFile))
        #expect(ProcessProbe.isRunning(leftover))

        let again = EmbeddedPostgres(root: root, logger: Self.logger)
        try again.start()
        defer { again.stop(immediate: true) }
        #expect(!ProcessProbe.isRunning(leftover))
        #expect(try PGConnection(conninfo: try again.conninfo()).isHealthy)
    }

    /// postmaster.pid naming a live process that is not PostgreSQL (its pid reused after a
    /// crash: here a `sleep` of the server's user) is stale; PostgreSQL alone would refuse to
    /// start over it ("lock file already exists").
    @Test func aPostmasterPidNamingAnotherLiveProcessIsStale() throws {
        let root = try Self.temporaryFolder("pgstale")
        defer { try? FileManager.default.removeItem(at: root) }
        let cluster = EmbeddedPostgres(root: root, logger: Self.logger)
        try cluster.start()
        let text = try String(contentsOf: cluster.pidFile, encoding: .utf8)
        cluster.stop(immediate: true)
        var user: (uid: uid_t, gid: gid_t)?
        if geteuid() == 0, let entry = getpwnam("postgres") { user = (entry.pointee.pw_uid, entry.pointee.pw_gid) }
        let sleeper = try ChildProcess.spawn("/bin/sleep", ["120"], logFile: root.appendingPathComponent("sleep.log"), user: user)
        let exit = ChildExit()
        ChildProcess.watch(sleeper) { exit.exited($0) }
        defer {
            kill(sleeper, SIGKILL)
            _ = exit.wait(timeout: 10)
        }
        // The file as a killed server leaves it, with the pid of a process that is alive.
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines[0] = Substring(String(sleeper))
        try lines.joined(separator: "\n").write(to: cluster.pidFile, atomically: true, encoding: .utf8)

        try cluster.start()
        defer { cluster.stop(immediate: true) }
        #expect(try PGConnection(conninfo: try cluster.conninfo()).isHealthy)
        #expect(ProcessProbe.isRunning(sleeper), "a process that is not PostgreSQL is left alone")
    }

    /// A second host on the same folder is refused with the first one's pid; nothing of the
    /// first one's is touched.
    @Test func aFolderInUseByALiveHostIsRefused() async throws {
        let root = try Self.temporaryFolder("pgbusy")
        defer { try? FileManager.default.removeItem(at: root) }
        let cluster = EmbeddedPostgres(root: root, logger: Self.logger)
        try cluster.start()
        defer { cluster.stop(immediate: true) }
        let second = EmbeddedPostgres(root: root, logger: Self.logger)
        let error = #expect(throws: DataFolderLockError.self) { try second.start() }
        #expect(error?.description.contains("in use by another garrison process (pid \(getpid()))") == true, "\(error?.description ?? "")")
        #expect(try PGConnection(conninfo: try cluster.conninfo()).isHealthy)

        let directory = root.appendingPathComponent("nats")
        let first = try NATSSupervisor(
            settings: .init(directory: directory, clientPort: FreePort.find(), websocketPort: FreePort.find(), tls: nil),
            logger: Self.logger
        ) { [] }
        try await first.start()
        let rival = try NATSSupervisor(
            settings: .init(directory: directory, clientPort: FreePort.find(), websocketPort: FreePort.find(), tls: nil),
            logger: Self.logger
        ) { [] }
        await #expect(throws: DataFolderLockError.self) { try await rival.start() }
        #expect(await first.runningPID.map(ProcessProbe.isRunning) == true)
        await first.stop()
    }

    /// A nats-server port another process holds is named at start, instead of nats-server
    /// failing in its own log and being restarted forever.
    @Test func aTakenNATSPortIsRefusedByName() async throws {
        let directory = try Self.temporaryFolder("natsport")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (socket, port) = try Self.listeningSocket()
        defer { close(socket) }
        let supervisor = try NATSSupervisor(
            settings: .init(directory: directory, clientPort: port, websocketPort: FreePort.find(), tls: nil), logger: Self.logger
        ) { [] }
        let error = await #expect(throws: SubprocessError.self) { try await supervisor.start() }
        #expect(error?.description.contains("port \(port) (nats.port) is already in use") == true, "\(error?.description ?? "")")
    }

    /// A nats-server that a dead host left running with this folder's config is stopped; a
    /// pid file naming any other live process only makes the file stale.
    @Test func aNATSServerLeftRunningIsStoppedAndAForeignPidIsLeftAlone() async throws {
        let directory = try Self.temporaryFolder("natsleft")
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = NATSSupervisor.Settings(directory: directory, clientPort: FreePort.find(), websocketPort: FreePort.find(), tls: nil)
        let first = try NATSSupervisor(settings: settings, logger: Self.logger) { [] }
        try await first.start()
        await first.stop()
        // What a host without death signals left: the same config, running on its own.
        let config = directory.appendingPathComponent("nats-server.json").path
        let leftover = try ChildProcess.spawn(
            try NATSSupervisor.binary(), ["-c", config], logFile: directory.appendingPathComponent("left.log"))
        let exit = ChildExit()
        ChildProcess.watch(leftover) { exit.exited($0) }
        try String(leftover).write(to: directory.appendingPathComponent("nats-server.pid"), atomically: true, encoding: .utf8)
        try await eventually("the leftover nats-server to listen") { ChildProcess.isListening(port: settings.clientPort) }

        let second = try NATSSupervisor(settings: settings, logger: Self.logger) { [] }
        try await second.start()
        #expect(exit.wait(timeout: 10))
        await second.stop()

        try "1\n".write(to: directory.appendingPathComponent("nats-server.pid"), atomically: true, encoding: .utf8)
        let third = try NATSSupervisor(settings: settings, logger: Self.logger) { [] }
        try await third.start()
        await third.stop()
        #expect(ProcessProbe.isRunning(1))
    }

    /// A socket listening on a free loopback port: something else holding a port.
    static func listeningSocket() throws -> (Int32, Int) {
        for _ in 0..<10 {
            let port = FreePort.find()
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound == 0, listen(fd, 8) == 0 { return (fd, port) }
            close(fd)
        }
        throw TestFailure("cannot listen on a free loopback port")
    }

    static func temporaryFolder(_ name: String) throws -> URL {
        let url = URL(fileURLWithPath: "/tmp").appendingPathComponent("garrison-\(name)-\(Crypto.randomHex(bytes: 4))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// `garrison serve` as a separate process on a folder of its own: plain HTTP on a loopback
/// port, embedded PostgreSQL and nats-server, no plugins.
struct ServeProcess {
    let folder: URL
    let port: Int

    struct Running {
        let pid: pid_t
        let exit: ChildExit
    }

    func start() throws -> Running {
        let config = folder.appendingPathComponent("garrison.toml")
        if !FileManager.default.fileExists(atPath: config.path) { try "".write(to: config, atomically: true, encoding: .utf8) }
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GARRISON_") }
        environment["GARRISON_CONFIG"] = config.path
        environment["GARRISON_DATA_DIR"] = folder.appendingPathComponent("data").path
        environment["GARRISON_PLUGINS_DIR"] = folder.appendingPathComponent("plugins.d").path
        environment["GARRISON_SERVER_HOST"] = "127.0.0.1"
        environment["GARRISON_SERVER_PORT"] = String(port)
        environment["GARRISON_SERVER_PLAIN_HTTP"] = "true"
        let pid = try ChildProcess.spawn(
            PackagePaths.garrison.path, ["serve"], logFile: folder.appendingPathComponent("serve.log"), environment: environment)
        let exit = ChildExit()
        ChildProcess.watch(pid) { exit.exited($0) }
        return Running(pid: pid, exit: exit)
    }

    func stop(_ running: Running) {
        kill(running.pid, SIGTERM)
        if !running.exit.wait(timeout: 60) { kill(running.pid, SIGKILL) }
    }

    /// Polls the anonymous health route until it answers 200.
    func awaitStatus200(timeout: Duration) async throws {
        let url = "http://127.0.0.1:\(port)/core/status/"
        let log = folder.appendingPathComponent("serve.log")
        do {
            try await eventually("GET /core/status/ to answer 200", timeout: timeout) {
                try await offCooperativePool {
                    let result = try Subprocess.run(
                        "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", url])
                    return result.output == "200"
                }
            }
        } catch {
            throw TestFailure("\(error); serve's log:\n\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
    }
}
