import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The machine's disk and memory use, as Tactical RMM's monitoring endpoint reports them
/// (psutil's percentages, one decimal).
enum SystemUsage {
    /// Used share of the file system holding `folder`, as `df` counts it (blocks reserved for
    /// root are not "available").
    static func diskPercent(_ folder: URL) -> Double {
        var info = statvfs()
        guard statvfs(folder.path, &info) == 0, info.f_blocks > 0 else { return 0 }
        let used = Double(info.f_blocks - info.f_bfree)
        let usable = used + Double(info.f_bavail)
        return usable > 0 ? (used / usable * 1000).rounded() / 10 : 0
    }

    /// (MemTotal - MemAvailable) / MemTotal from /proc/meminfo.
    static func memoryPercent() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return 0 }
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let value = Double(parts[1]) { values[String(parts[0].dropLast())] = value }
        }
        guard let total = values["MemTotal"], total > 0, let available = values["MemAvailable"] else { return 0 }
        return ((total - available) / total * 1000).rounded() / 10
    }
}
