import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The machine's disk and memory use and whether a loopback port answers, as Tactical RMM's
/// monitoring endpoint reports them (psutil's percentages, one decimal).
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

    /// Whether something accepts TCP connections on 127.0.0.1:`port`. A loopback connect is
    /// answered at once (accepted or refused), so this does not block for long.
    static func loopbackPortOpen(_ port: Int) -> Bool {
        guard (1...65535).contains(port) else { return false }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
