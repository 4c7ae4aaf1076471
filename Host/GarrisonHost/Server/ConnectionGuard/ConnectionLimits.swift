import NIOConcurrencyHelpers
import NIOCore

/// What the listener allows one connection (`server.*_timeout_seconds`,
/// `server.max_connections_per_address`), and where it counts what it cut.
struct ConnectionLimits: Sendable {
    /// From accept to the end of the TLS handshake.
    var handshake: TimeAmount
    /// From the handshake (or accept, plain) to the first request's complete head.
    var head: TimeAmount
    /// From an answer to the next request's complete head on a kept-alive connection.
    var idle: TimeAmount
    /// From a request's head to the end of its body.
    var body: TimeAmount
    var perAddress: Int
    /// Counts a cut connection under `garrison_connections_cut_total{reason}`.
    var cut: @Sendable (ConnectionCut) -> Void

    init(_ config: GarrisonConfig, metrics: MetricsRegistry) {
        handshake = .seconds(Int64(config.tlsHandshakeTimeoutSeconds))
        head = .seconds(Int64(config.requestHeadTimeoutSeconds))
        idle = .seconds(Int64(config.idleTimeoutSeconds))
        body = .seconds(Int64(config.bodyTimeoutSeconds))
        perAddress = config.maxConnectionsPerAddress
        cut = { metrics.connectionCut($0.rawValue) }
    }
}

/// Why the listener ended a connection itself: the `reason` label in /metrics/.
enum ConnectionCut: String, Sendable {
    case handshake = "tls_handshake"
    case head = "request_head"
    case idle = "idle"
    case body = "request_body"
    case perAddress = "per_address_limit"
}

/// Open connections per source address, shared by every connection of one listener.
final class AddressCounter: Sendable {
    private let open = NIOLockedValueBox<[String: Int]>([:])
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Takes a slot for `address`; false when it already holds `limit`.
    func take(_ address: String) -> Bool {
        open.withLockedValue { counts in
            let current = counts[address, default: 0]
            guard current < limit else { return false }
            counts[address] = current + 1
            return true
        }
    }

    func release(_ address: String) {
        open.withLockedValue { counts in
            let left = counts[address, default: 1] - 1
            counts[address] = left > 0 ? left : nil
        }
    }
}
