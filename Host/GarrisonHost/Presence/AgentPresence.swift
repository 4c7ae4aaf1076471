/// Whether an agent is there: the one definition of online, offline and overdue.
///
/// An agent's presence is computed from `last_seen` (moved by its NATS hello, see
/// Bus/Telemetry/TelemetryWriter) and its own thresholds, in SQL, so that listing, filtering
/// and paging by status happen in the database:
///
///     never seen ───────────────────────────────► offline
///     seen within offline_time minutes ─────────► online
///     quiet longer than offline_time ───────────► offline
///     quiet longer than overdue_time ───────────► overdue
///
/// Events follow the transitions once each: `status_announced` on the agent row holds the
/// state last announced. TelemetryWriter sets it to online with the hello that brings an agent
/// back (agent.online, raised by TelemetryIngest); AgentStatusWatch moves it to offline or
/// overdue when the scheduler's sweep finds the agent quiet (agent.offline, agent.overdue).
/// Whichever host does either, one UPDATE decides, so each transition is announced once.
enum AgentPresence {
    /// The status of agent row `a` now.
    static let statusSQL = """
        CASE WHEN a.last_seen IS NULL THEN 'offline'
             WHEN a.last_seen > now() - make_interval(mins => a.offline_time) THEN 'online'
             WHEN a.last_seen < now() - make_interval(mins => a.overdue_time) THEN 'overdue'
             ELSE 'offline' END
        """

    /// Agent row `a` has been seen, but not within its offline time: offline or overdue.
    static let quietSQL = "a.last_seen IS NOT NULL AND a.last_seen < now() - make_interval(mins => a.offline_time)"
}
