extension GarrisonHostServer {
    /// Where the listener carries /natsws: the private nats-server's loopback websocket
    /// port, or `nats.websocket_url` next to an external NATS. Without either, /natsws
    /// answers 503 saying which setting is missing.
    func natsWebSocketUpstream() -> NATSWebSocketUpstream {
        var upstream: NATSWebSocketUpstream
        if !config.natsEnabled {
            upstream = .none("the agents' bus is off on this host (nats.enabled = false)")
        } else if let supervisor = bus?.supervisor {
            upstream = .at(host: "127.0.0.1", port: supervisor.settings.websocketPort)
        } else if !config.natsWebSocketURL.isEmpty, let parsed = NATSWebSocketUpstream.parse(config.natsWebSocketURL).0 {
            upstream = parsed
        } else {
            upstream = .none("nats.url names an external NATS and nats.websocket_url is not set")
        }
        upstream.openConnections = context.metrics.registry.makeGauge(
            name: "garrison_natsws_connections_open", labels: [], help: "agent websockets carried from /natsws to nats-server, open now")
        return upstream
    }
}
