import Foundation

/// Runs a program to completion and captures what it printed. Used for initdb, pg_ctl and
/// friends, whose failures must reach the operator word for word.
public struct ProcessOutput: Sendable {
    public let status: Int32
    /// Standard output, and standard error too unless it was asked for apart.
    public let output: String
    /// Standard error when `errorsApart` was asked for; empty otherwise.
    public var errors: String = ""
}

public enum Subprocess {
    /// posix_spawn + waitpid rather than Foundation's Process: `pg_ctl start` leaves a server
    /// running that inherits descriptors, and Process then never reports the exit. Output
    /// goes to a temporary file for the same reason (a pipe would never reach its end).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, errorsApart: Bool = false)
        throws -> ProcessOutput
    {
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent("garrison-\(UUID().uuidString).out")
        let errorCapture = capture.appendingPathExtension("err")
        defer {
            try? FileManager.default.removeItem(at: capture)
            try? FileManager.default.removeItem(at: errorCapture)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, capture.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if errorsApart {
            posix_spawn_file_actions_addopen(&actions, 2, errorCapture.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        // Nothing else is inherited (pg_ctl leaves a server behind that would keep it open).
        SpawnCloseFrom.add(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        SpawnSignals.reset(&attributes)
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = [executable] + arguments
        var pid: pid_t = 0
        let status = withCStrings(argv) { argvPointers in
            withCStrings(env) { envPointers in
                posix_spawn(&pid, executable, &actions, &attributes, argvPointers, envPointers)
            }
        }
        guard status == 0 else { throw SubprocessError("cannot start \(executable): \(String(cString: strerror(status)))") }
        var waitStatus: Int32 = 0
        while waitpid(pid, &waitStatus, 0) == -1 && errno == EINTR {}
        let data = (try? Data(contentsOf: capture)) ?? Data()
        // WIFEXITED / WEXITSTATUS, spelled out (the macros do not import into Swift).
        let exitCode: Int32 = (waitStatus & 0x7F) == 0 ? (waitStatus >> 8) & 0xFF : 128 + (waitStatus & 0x7F)
        let errors = errorsApart ? String(decoding: (try? Data(contentsOf: errorCapture)) ?? Data(), as: UTF8.self) : ""
        return ProcessOutput(status: exitCode, output: String(decoding: data, as: UTF8.self), errors: errors)
    }

    /// Finds a program on PATH or in the given folders.
    public static func which(_ name: String, extraDirectories: [String] = []) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in extraDirectories + path.split(separator: ":").map(String.init) {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
    }
}

public struct SubprocessError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
