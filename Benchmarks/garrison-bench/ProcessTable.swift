import Foundation

/// What /proc says about processes: enough to find what a `garrison serve` started (its
/// descendants, and anything whose command line names its data folder, which catches a
/// child that was re-parented away from it) and to tell whether those are still alive.
struct ProcessEntry: Hashable, Sendable {
    let pid: pid_t
    let parent: pid_t
    let name: String
    let commandLine: String
}

enum ProcessTable {
    static func all() -> [ProcessEntry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { pid_t($0) }.compactMap(entry)
    }

    static func entry(_ pid: pid_t) -> ProcessEntry? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
        else { return nil }
        // After "(comm)": state, then the parent pid.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, let parent = pid_t(fields[1]) else { return nil }
        let raw = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        let commandLine = String(decoding: raw.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
        return ProcessEntry(pid: pid, parent: parent, name: String(stat[stat.index(after: open)..<close]), commandLine: commandLine)
    }

    /// Processes below `root`, plus those whose command line mentions `marker`, and theirs.
    static func started(by root: pid_t, marker: String) -> [ProcessEntry] {
        let table = all()
        var found = Set(table.filter { $0.pid != root && $0.commandLine.contains(marker) }.map(\.pid))
        var frontier = found.union([root])
        while !frontier.isEmpty {
            let children = table.filter { frontier.contains($0.parent) && !found.contains($0.pid) && $0.pid != root }.map(\.pid)
            found.formUnion(children)
            frontier = Set(children)
        }
        return table.filter { found.contains($0.pid) }
    }

    /// Alive and not a zombie (a zombie has exited; only its parent's wait is missing).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM,
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }
}
