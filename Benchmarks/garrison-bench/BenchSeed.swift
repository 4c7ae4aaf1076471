import GarrisonHost

/// The fleet the checks and backup benches seed: 100 clients of 2 sites each, and `agents`
/// agents spread over the 200 sites, agent n with id 'benchagent' + n (30 digits) and the
/// token 'benchtoken' + n, stored as its digest. One definition, so both benches measure the
/// same shape of data.
enum BenchSeed {
    static func fleet(_ c: PGConnection, agents: Int) throws {
        try c.query("INSERT INTO clients (name) SELECT 'client-' || g FROM generate_series(1, 100) g")
        try c.query("INSERT INTO sites (client_id, name) SELECT id, 'site-' || s FROM clients, generate_series(1, 2) s")
        try c.query(
            """
            INSERT INTO agents (agent_id, hostname, site_id, client_id, monitoring_type, plat, last_seen, token_digest)
            SELECT 'benchagent' || lpad(g::text, 30, '0'), 'host-' || g, s.id, s.client_id, 'server', 'windows', now(),
                   encode(sha256(convert_to('benchtoken' || lpad(g::text, 30, '0'), 'UTF8')), 'hex')
            FROM generate_series(1, $1::int) g JOIN LATERAL (SELECT id, client_id FROM sites ORDER BY id OFFSET (g % 200) LIMIT 1) s ON true
            """, [String(agents)])
    }
}
