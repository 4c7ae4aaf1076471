import Prometheus

/// Where /natsws connections go: nats-server's websocket listener, plain ws (TLS ends at
/// the host). Nil `host` means there is none (NATS disabled, or an external NATS without
/// `nats.websocket_url`), and /natsws answers 503 with `unavailable`.
public struct NATSWebSocketUpstream: Sendable {
    public var host: String?
    public var port: Int
    /// Why there is no upstream, for the 503 body.
    public var unavailable: String
    /// Proxied connections open now (nil: not counted).
    var openConnections: Prometheus.Gauge?

    public static func none(_ reason: String) -> NATSWebSocketUpstream {
        NATSWebSocketUpstream(host: nil, port: 0, unavailable: reason)
    }

    public static func at(host: String, port: Int) -> NATSWebSocketUpstream {
        NATSWebSocketUpstream(host: host, port: port, unavailable: "")
    }

    /// Parses `nats.websocket_url` (`ws://host:port`); nil with what was wrong.
    public static func parse(_ url: String) -> (NATSWebSocketUpstream?, String?) {
        guard url.hasPrefix("ws://") else {
            return (nil, "must be ws://host:port (nats-server's websocket listener without TLS); wss:// upstreams are not supported")
        }
        var rest = url.dropFirst("ws://".count)
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1...65535).contains(port) else {
            return (nil, "must name a port, as in ws://10.0.0.5:9235")
        }
        var host = String(rest[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return (nil, "must name a host, as in ws://10.0.0.5:9235") }
        return (.at(host: host, port: port), nil)
    }
}
