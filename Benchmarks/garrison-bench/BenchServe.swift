import Foundation
import GarrisonHost

/// Starting, probing and stopping `garrison serve` for the restart and cold-start benches.
struct BenchServe {
    let binary: String
    let environment: [String: String]
    let root: URL
    let port: Int

    func start(log: String) throws -> pid_t {
        try BenchSpawn.start(binary, ["serve"], log: root.appendingPathComponent(log).path, name: binary, environment: environment)
    }

    /// Seconds from now to the first 200 on GET /core/status/, or nil when `pid` exits or
    /// `timeout` passes first.
    func waitForOK(_ pid: pid_t, timeout: Double) -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            let probe = try? Subprocess.run(
                "/usr/bin/curl",
                ["-sk", "--max-time", "2", "-o", "/dev/null", "-w", "%{http_code}", "https://127.0.0.1:\(port)/core/status/"])
            if probe?.output == "200" { return Date().timeIntervalSince(start) }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return nil }
            usleep(10_000)
        }
        return nil
    }

    /// The log's warning and error lines, at most `limit`, shortened.
    func notices(_ log: String, limit: Int = 4) -> [String] {
        let text = (try? String(contentsOf: root.appendingPathComponent(log), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.contains(" warning ") || $0.contains(" error ") || $0.contains(" critical ") }
            .prefix(limit).map { String($0.prefix(240)) }
    }

    /// Lines of the log that contain `text`.
    func count(_ log: String, containing text: String) -> Int {
        let contents = (try? String(contentsOf: root.appendingPathComponent(log), encoding: .utf8)) ?? ""
        return contents.split(separator: "\n").filter { $0.contains(text) }.count
    }

    func tail(_ log: String, lines: Int = 20) -> String {
        let text = (try? String(contentsOf: root.appendingPathComponent(log), encoding: .utf8)) ?? "(no log)"
        return text.split(separator: "\n").suffix(lines).map { "  | " + $0 }.joined(separator: "\n")
    }

    /// Stops the hosts with SIGTERM (as an operator would) and then anything they left
    /// running in this bench's folder, by pid, and says what that was; removes the folder
    /// unless told to keep it for the next start.
    func cleanUp(_ hosts: [pid_t], removeFolder: Bool = true) {
        for pid in hosts where ProcessTable.isAlive(pid) {
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(30)
            var status: Int32 = 0
            while waitpid(pid, &status, WNOHANG) == 0, Date() < deadline { usleep(50_000) }
            if ProcessTable.isAlive(pid) { kill(pid, SIGKILL); waitpid(pid, &status, 0) }
        }
        let left = ProcessTable.all().filter { $0.commandLine.contains(root.path) }
        if !left.isEmpty {
            print(
                "after the last host stopped, still running from this bench's folder: \(RestartBench.describe(left)); the bench stops them")
            // The postmaster first (SIGQUIT: immediate shutdown; its backends follow).
            for entry in left { kill(entry.pid, SIGQUIT) }
            usleep(2_000_000)
            for entry in left where ProcessTable.isAlive(entry.pid) && ProcessTable.entry(entry.pid)?.commandLine == entry.commandLine {
                kill(entry.pid, SIGKILL)
            }
        }
        if removeFolder { try? FileManager.default.removeItem(at: root) }
    }
}
