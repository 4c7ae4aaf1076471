import Foundation

/// Starting a long-lived child (nats-server, the private PostgreSQL) and learning when it
/// exits. posix_spawn rather than Foundation's Process, for the same reasons as `Subprocess`;
/// the child gets its own process group so a terminal's Ctrl-C reaches only the host, which
/// then stops it in order. It is spawned from `SpawnThread` through `DieWithHost`, so a host
/// killed with SIGKILL takes its children with it.
enum ChildProcess {
    static func spawn(
        _ executable: String, _ arguments: [String], logFile: URL, dieWith signal: DieWithHost.Signal = .terminate,
        user: (uid: uid_t, gid: gid_t)? = nil, environment: [String: String]? = nil
    ) throws -> pid_t {
        let command = try DieWithHost.command(executable, arguments, signal: signal, user: user)
        let logPath = logFile.path
        let environment = environment ?? ProcessInfo.processInfo.environment
        return try SpawnThread.shared.run {
            try spawnHere(command.executable, command.arguments, logPath: logPath, environment: environment, program: executable)
        }
    }

    private static func spawnHere(
        _ executable: String, _ arguments: [String], logPath: String, environment: [String: String], program: String
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // See Subprocess.run: no other descriptor may leak into a long-lived child.
        SpawnCloseFrom.add(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        SpawnSignals.reset(&attributes, extraFlags: POSIX_SPAWN_SETPGROUP)
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else { throw SubprocessError("cannot start \(program): \(String(cString: strerror(status)))") }
        return pid
    }

    /// Calls `onExit` from a dedicated thread once `pid` has exited and been reaped, with
    /// its exit code (128 + the signal when a signal ended it).
    static func watch(_ pid: pid_t, onExit: @escaping @Sendable (Int32) -> Void) {
        let thread = Thread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            // WIFEXITED / WEXITSTATUS spelled out, as in Subprocess.run.
            onExit((status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F))
        }
        thread.name = "garrison-child-\(pid)"
        thread.start()
    }

    /// True once something accepts TCP connections on 127.0.0.1:port.
    static func isListening(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Writes `text` to `url` readable by the owner only, replacing the file in one rename so
    /// a reader (nats-server on reload) never sees half a file.
    static func writePrivately(_ text: String, to url: URL) throws {
        try SecretFile.write(text, to: url)
    }
}
