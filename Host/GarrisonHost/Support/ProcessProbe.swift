import Foundation

/// What /proc says about another process: whether it still runs and its command line. Used
/// to tell a pid file left by a dead process from one whose process is alive.
enum ProcessProbe {
    /// True while `pid` runs. A zombie (exited, not yet reaped: a killed host's children
    /// under an init that does not reap) does not run, though kill(pid, 0) still succeeds.
    /// Every thread counts: a multithreaded process's first thread turns zombie before the
    /// others have exited and closed its sockets.
    static func isRunning(_ pid: pid_t) -> Bool {
        guard pid > 0 else { return false }
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else {
            return kill(pid, 0) == 0 || errno == EPERM
        }
        return tasks.contains { task in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8) else { return false }
            // "pid (comm) S ...": the state follows the last ')' (comm may itself hold one).
            guard let close = stat.lastIndex(of: ")") else { return true }
            let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
            return state != "Z" && state != "X"
        }
    }

    /// A process as seen at one moment: its pid and when it started (clock ticks after boot,
    /// field 22 of /proc/pid/stat). Once that process is gone, the kernel may give its pid to
    /// another; the newcomer has a later start, so an Identity never names it.
    struct Identity: Equatable, Sendable, CustomStringConvertible {
        let pid: pid_t
        let started: UInt64
        var description: String { "\(pid)" }
    }

    /// `pid`'s identity now; nil when /proc does not have it.
    static func identity(_ pid: pid_t) -> Identity? {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm)" come the fields from the third (state) on; start time is the 22nd.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let started = UInt64(fields[19]) else { return nil }
        return Identity(pid: pid, started: started)
    }

    /// True while the process `identity` names runs: not when its pid now belongs to another.
    static func isRunning(_ identity: Identity) -> Bool {
        isRunning(identity.pid) && self.identity(identity.pid)?.started == identity.started
    }

    /// One line for a log or a failed test: "1234 postgres (S) in /folder, parent 1".
    static func describe(_ pid: pid_t) -> String {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
        else { return "\(pid) (gone)" }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let cwd = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")) ?? "?"
        return
            "\(pid) \(stat[stat.index(after: open)..<close]) (\(fields.first ?? "?")) in \(cwd), parent \(fields.count > 1 ? String(fields[1]) : "?")"
    }

    /// The arguments `pid` was started with; nil when /proc does not tell (gone, or hidden).
    static func arguments(_ pid: pid_t) -> [String]? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
        return data.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
    }

    /// Waits up to `timeout` for `pid` to stop running; true if it did.
    static func waitForExit(_ pid: pid_t, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning(pid) {
            if ContinuousClock.now >= deadline { return false }
            usleep(20_000)
        }
        return true
    }

    /// The pid on the first line of a pid file (nats-server's, PostgreSQL's postmaster.pid).
    static func pid(inFile url: URL) -> pid_t? {
        guard let text = try? String(contentsOf: url, encoding: .utf8),
            let first = text.split(separator: "\n").first,
            let pid = Int32(first.trimmingCharacters(in: .whitespaces)), pid > 0
        else { return nil }
        return pid
    }

    /// Running processes whose working folder is `url`: PostgreSQL's postmaster and every
    /// backend work in the cluster folder, whatever their command line says. Processes this
    /// user may not inspect are not seen (as root, all are).
    static func running(inDirectory url: URL) -> [pid_t] {
        let target = url.standardizedFileURL.resolvingSymlinksInPath().path
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { Int32($0) }.filter { pid in
            guard pid != getpid(), let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else {
                return false
            }
            return cwd == target && isRunning(pid)
        }
    }
}
