/// The [settings] table of plugins.d/40-checks.toml; every key optional.
struct Settings: Decodable, Sendable {
    /// Days of check history kept for charts; older points are pruned hourly. 0 keeps all.
    var history_retention_days: Int?
    /// Seconds an agent's facts (interval, platform, names, policies) are reused between
    /// agent calls; 0 asks the host every time.
    var agent_cache_seconds: Int?
    /// Seconds between sweeps of undelivered check.failed / check.resolved events.
    var outbox_sweep_seconds: Int?
    /// Entries each in-memory cache (definitions, result states, checkrunner JSON) holds
    /// before it starts over: at least the fleet's agents times their checks.
    var cache_entries: Int?
    /// Answer a result before its commit reaches the disk: lower tail latency, but a crash of
    /// PostgreSQL (not of the host) loses the last fraction of a second of answered results.
    var fast_commit: Bool?

    var retentionDays: Int { max(history_retention_days ?? 30, 0) }
    var agentCacheSeconds: Double { Double(max(agent_cache_seconds ?? 30, 0)) }
    var outboxSweepSeconds: Int { max(outbox_sweep_seconds ?? 10, 1) }
    var cacheEntries: Int { max(cache_entries ?? 200_000, 1_000) }
    var fastCommit: Bool { fast_commit ?? false }
}
