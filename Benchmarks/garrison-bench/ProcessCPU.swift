import Foundation

/// CPU time a process has used (user + system), from /proc/<pid>/stat, in seconds.
enum ProcessCPU {
    static func seconds(_ pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Cores used by each process over `window`.
    static func cores(_ pids: [Int32], over window: Duration) async throws -> [Double] {
        let before = pids.map { seconds($0) ?? 0 }
        let start = ContinuousClock.now
        try await Task.sleep(for: window)
        let elapsed = (ContinuousClock.now - start).seconds
        return zip(pids, before).map { ((seconds($0) ?? 0) - $1) / elapsed }
    }
}
