import Foundation

/// The proxies whose `X-Forwarded-For` is believed (`server.trusted_proxies`: addresses or
/// CIDRs). Each proxy appends the address it saw, so only the right end of the header was
/// written by proxies we trust; the left end is whatever the client sent. The client is the
/// rightmost entry that is not a trusted proxy, and only when the direct peer is one.
public struct TrustedProxies: Sendable, Equatable {
    struct Network: Sendable, Equatable {
        /// 16 bytes; IPv4 as IPv4-mapped IPv6, so one comparison serves both.
        let address: [UInt8]
        let prefix: Int

        func contains(_ other: [UInt8]) -> Bool {
            var bits = prefix
            for index in 0..<16 {
                if bits <= 0 { return true }
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if address[index] & mask != other[index] & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    let networks: [Network]

    public static let none = TrustedProxies(networks: [])

    init(networks: [Network]) { self.networks = networks }

    /// Parses "10.0.0.1, 192.168.0.0/16, ::1"; the error names the entry that is wrong.
    public init(parsing text: String) throws(ProxyListError) {
        var networks: [Network] = []
        for entry in text.split(separator: ",") {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let parts = trimmed.split(separator: "/", maxSplits: 1).map(String.init)
            guard let (bytes, isV4) = Self.parse(parts[0]) else { throw ProxyListError(entry: trimmed) }
            let width = isV4 ? 32 : 128
            var prefix = width
            if parts.count == 2 {
                guard let bits = Int(parts[1]), (0...width).contains(bits) else { throw ProxyListError(entry: trimmed) }
                prefix = bits
            }
            networks.append(Network(address: bytes, prefix: isV4 ? prefix + 96 : prefix))
        }
        self.networks = networks
    }

    public var isEmpty: Bool { networks.isEmpty }

    public func contains(_ address: String) -> Bool {
        guard let (bytes, _) = Self.parse(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client's address: `peer` itself unless it is a trusted proxy, then the rightmost
    /// entry of `forwardedFor` (every X-Forwarded-For line, in order) that is not one.
    public func clientAddress(peer: String, forwardedFor: [String]) -> String {
        guard contains(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peer
        for hop in hops.reversed() {
            // Garbage was not written by a proxy we trust: stop at the last address we believe.
            guard Self.parse(hop) != nil else { return client }
            client = hop
            if !contains(hop) { return hop }
        }
        return client
    }

    /// 16 bytes (IPv4 mapped into IPv6) and whether it was written as IPv4.
    static func parse(_ text: String) -> ([UInt8], Bool)? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            let raw = withUnsafeBytes(of: v4.s_addr) { Array($0) }
            return ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + raw, true)
        }
        var v6 = in6_addr()
        // A zone ("fe80::1%eth0") names an interface, not a different address.
        let address = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? text
        if inet_pton(AF_INET6, address, &v6) == 1 {
            return (withUnsafeBytes(of: v6) { Array($0) }, false)
        }
        return nil
    }
}

public struct ProxyListError: Error, Sendable, CustomStringConvertible {
    public let entry: String
    public var description: String { "'\(entry)' is not an IP address or CIDR (as in 10.0.0.1, 10.0.0.0/8, ::1)" }
}
