import Foundation
import Logging
import NIOConcurrencyHelpers

/// What hosts sharing one database tell each other (docs/scale-out.md). Each host has a row
/// in `garrison_hosts` (its id kept in its data folder), refreshed every few seconds, naming
/// its nats-server node's cluster address. Changes travel as PostgreSQL notifications on one
/// channel, received by a dedicated LISTEN connection:
/// - `auth`: users, roles, tokens or API keys changed; every host forgets its cached identities.
/// - `nats:<generation>`: what the nodes' config holds changed (agents enrolled or deleted, a
///   host joined or left); every host rewrites its node's config and reloads it, then records
///   the generation it runs, which the host that made the change waits for.
public final class ClusterLink: Sendable {
    static let channel = "garrison_cluster"
    /// A host whose row was not refreshed for this long is taken for dead: nobody waits for it.
    static let liveFor = 15
    static let heartbeat: Duration = .seconds(5)

    public let hostID: String
    let pool: DatabasePool
    let logger: Logger
    private let listener: NIOLockedValueBox<PGListener?> = .init(nil)
    private let authHandler = NIOLockedValueBox<(@Sendable () -> Void)?>(nil)
    private let natsHandler = NIOLockedValueBox<(@Sendable (Int64) -> Void)?>(nil)
    private let beat = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(hostID: String, pool: DatabasePool, logger: Logger) {
        self.hostID = hostID
        self.pool = pool
        self.logger = logger
    }

    /// Registers this host (no node yet) and starts listening.
    public static func start(pool: DatabasePool, dataDirectory: URL, logger: Logger) async throws -> ClusterLink {
        let link = ClusterLink(hostID: try hostID(in: dataDirectory), pool: pool, logger: logger)
        try await link.pool.query(
            """
            INSERT INTO garrison_hosts (id, hostname, cluster_address) VALUES ($1, $2, NULL)
            ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, cluster_address = NULL, nats_generation = 0,
                started_at = now(), seen_at = now()
            """, [link.hostID, ProcessInfo.processInfo.hostName])
        let listener = PGListener(
            conninfo: pool.conninfo, channel: channel,
            onConnected: { [weak link] in link?.resynchronize() },
            onNotification: { [weak link] payload in link?.received(payload) })
        link.listener.withLockedValue { $0 = listener }
        listener.start()
        link.beat.withLockedValue { task in
            task = Task { [weak link] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: heartbeat)
                    guard let link else { return }
                    _ = try? await link.pool.query("UPDATE garrison_hosts SET seen_at = now() WHERE id = $1", [link.hostID])
                }
            }
        }
        return link
    }

    /// The host's id: made once, kept in the data folder, so a restarted host keeps its row.
    static func hostID(in dataDirectory: URL) throws -> String {
        let file = dataDirectory.appendingPathComponent("host-id")
        if let text = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty {
            return text
        }
        let id = Crypto.randomHex(bytes: 8)
        try SecretFile.write(id + "\n", to: file)
        return id
    }

    /// True while notifications from other hosts are being received.
    public var isListening: Bool { listener.withLockedValue { $0 }?.isListening ?? false }

    func onAuthChanged(_ handler: @escaping @Sendable () -> Void) { authHandler.withLockedValue { $0 = handler } }
    func onNATSChanged(_ handler: @escaping @Sendable (Int64) -> Void) { natsHandler.withLockedValue { $0 = handler } }

    private func received(_ payload: String) {
        if payload == "auth" {
            authHandler.withLockedValue { $0 }?()
        } else if payload.hasPrefix("nats:"), let generation = Int64(payload.dropFirst(5)) {
            natsHandler.withLockedValue { $0 }?(generation)
        }
    }

    /// (Re)connected: whatever was announced while the listener was away is unknown.
    private func resynchronize() {
        authHandler.withLockedValue { $0 }?()
        guard let nats = natsHandler.withLockedValue({ $0 }) else { return }
        Task {
            if let generation = try? await currentGeneration() { nats(generation) }
        }
    }

    /// Tells every host (this one too) that identities changed.
    func announceAuthChanged() {
        let pool = self.pool
        Task { _ = try? await pool.query("SELECT pg_notify($1, 'auth')", [Self.channel]) }
    }

    /// Takes a new config generation and announces it; returns it.
    func announceNATSChanged() async throws -> Int64 {
        let generation = try await pool.query("SELECT nextval('nats_config_generation') AS g").rows.first.map { Int64($0.int("g")) } ?? 0
        try await pool.query("SELECT pg_notify($1, $2)", [Self.channel, "nats:\(generation)"])
        return generation
    }

    func currentGeneration() async throws -> Int64 {
        try await pool.query("SELECT last_value AS g FROM nats_config_generation").rows.first.map { Int64($0.int("g")) } ?? 0
    }

    /// Records that this host's node runs `generation`.
    func acknowledge(_ generation: Int64) async {
        _ = try? await pool.query(
            "UPDATE garrison_hosts SET nats_generation = greatest(nats_generation, $2), seen_at = now() WHERE id = $1",
            [hostID, String(generation)])
    }

    /// Waits until every live host's node runs `generation` or `timeout` passes; returns the
    /// ids of the hosts still behind.
    func awaitNodes(_ generation: Int64, timeout: Duration) async -> [String] {
        let deadline = ContinuousClock.now + timeout
        var behind: [String] = []
        repeat {
            guard
                let rows = try? await pool.query(
                    """
                    SELECT id FROM garrison_hosts WHERE cluster_address IS NOT NULL AND nats_generation < $1
                    AND seen_at > now() - make_interval(secs => $2)
                    """, [String(generation), String(Self.liveFor)]
                ).rows
            else { return [] }
            behind = rows.map { $0.string("id") }
            if behind.isEmpty { return [] }
            try? await Task.sleep(for: .milliseconds(10))
        } while ContinuousClock.now < deadline
        return behind
    }

    /// The shared route credentials, made by whichever host asks first.
    func routeCredentials() async throws -> (user: String, password: String) {
        try await pool.query(
            "INSERT INTO nats_cluster (route_user, route_password) VALUES ('garrison-route', $1) ON CONFLICT DO NOTHING",
            [Crypto.randomHex(bytes: 24)])
        let row = try await pool.query("SELECT route_user, route_password FROM nats_cluster").rows[0]
        return (row.string("route_user"), row.string("route_password"))
    }

    /// Records where this host's node takes routes.
    func registerNode(address: String) async throws {
        try await pool.query("UPDATE garrison_hosts SET cluster_address = $2, seen_at = now() WHERE id = $1", [hostID, address])
    }

    /// The cluster addresses of the other hosts' nodes. Hosts not seen for a day are left
    /// out; a dead host's node within that time costs only a route that keeps retrying.
    func peerAddresses() async throws -> [String] {
        try await pool.query(
            """
            SELECT DISTINCT cluster_address FROM garrison_hosts
            WHERE id <> $1 AND cluster_address IS NOT NULL AND seen_at > now() - interval '1 day'
            """, [hostID]
        ).rows.map { $0.string("cluster_address") }
    }

    /// Stops listening; with `leave`, removes this host's row and tells the others, which drop
    /// the route to its node.
    func stop(leave: Bool) async {
        beat.withLockedValue { $0 }?.cancel()
        listener.withLockedValue { $0 }?.stop()
        guard leave else { return }
        _ = try? await pool.query("DELETE FROM garrison_hosts WHERE id = $1", [hostID])
        _ = try? await announceNATSChanged()
    }
}
