import Foundation
import Synchronization

/// A free loopback TCP port for a server that binds it a moment later (the embedded
/// PostgreSQL, nats-server, and the tests' servers).
///
/// Port 0 would let the kernel choose, but from its ephemeral range (Linux: 32768-60999),
/// which outgoing connections draw from too: under load one of them took such a port between
/// the check and the bind ("Address already in use"). So the port is drawn at random below
/// that range, checked by binding it, and never handed out twice by one process; the
/// kernel's choice is the fallback.
public enum FreePort {
    static let range = 20_000...32_000
    private static let given = Mutex<Set<Int>>([])

    public static func find() -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: range)
            guard given.withLock({ $0.insert(port).inserted }) else { continue }
            if bind(port) == port { return port }
        }
        return bind(0)
    }

    /// Binds 127.0.0.1:`port` and closes again: the port bound, or 0 when it was taken.
    static func bind(_ port: Int) -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { return 0 }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
