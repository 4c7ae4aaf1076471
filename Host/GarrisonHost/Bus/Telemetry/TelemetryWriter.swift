import Foundation

/// Writes a `TelemetryBatch` with one statement: every column is an array parameter, NULL
/// where the batch has nothing for that agent (the column keeps its value). Returns the
/// agents whose hello brought them back -- judged against the status last announced, read
/// under the row lock so two writers (or hosts) cannot both announce it.
enum TelemetryWriter {
    static let sql = """
        WITH u AS (
            SELECT * FROM unnest($1::text[], $2::bool[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                                 $8::int[], $9::float8[], $10::bool[], $11::text[], $12::text[], $13::jsonb[], $14::jsonb[], $15::jsonb[])
                AS u(agent_id, hello, version, hostname, operating_system, plat, goarch,
                     total_ram, boot_time, needs_reboot, logged_in_username, public_ip, disks, services, wmi_detail)
        ), before AS (
            SELECT a.id, a.status_announced FROM agents a WHERE a.agent_id IN (SELECT agent_id FROM u)
            ORDER BY a.id FOR UPDATE
        )
        UPDATE agents a SET
            last_seen = CASE WHEN u.hello THEN now() ELSE a.last_seen END,
            status_announced = CASE WHEN u.hello THEN 'online' ELSE a.status_announced END,
            version = COALESCE(u.version, a.version),
            hostname = COALESCE(u.hostname, a.hostname),
            operating_system = COALESCE(u.operating_system, a.operating_system),
            plat = COALESCE(u.plat, a.plat),
            goarch = COALESCE(u.goarch, a.goarch),
            total_ram = COALESCE(u.total_ram, a.total_ram),
            boot_time = COALESCE(u.boot_time, a.boot_time),
            needs_reboot = COALESCE(u.needs_reboot, a.needs_reboot),
            logged_in_username = COALESCE(u.logged_in_username, a.logged_in_username),
            -- Windows agents report "None" when nobody is logged in; keep the last real one.
            last_logged_in_user = CASE WHEN u.logged_in_username IS NOT NULL AND u.logged_in_username NOT IN ('', 'None')
                                       THEN u.logged_in_username ELSE a.last_logged_in_user END,
            public_ip = COALESCE(u.public_ip, a.public_ip),
            disks = COALESCE(u.disks, a.disks),
            services = COALESCE(u.services, a.services),
            wmi_detail = COALESCE(u.wmi_detail, a.wmi_detail)
        FROM u, before
        WHERE a.agent_id = u.agent_id AND before.id = a.id
        RETURNING a.agent_id,
            u.hello AND before.status_announced IS DISTINCT FROM 'online' AS came_online
        """

    static func parameters(_ rows: [TelemetryBatch.Row]) -> [String?] {
        func column(_ value: (TelemetryBatch.Row) -> String?) -> String? { PGArray.literal(optional: rows.map(value)) }
        return [
            column { $0.agentID },
            column { $0.hello ? "t" : "f" },
            column { $0.version },
            column { $0.info?.hostname },
            column { $0.info?.operatingSystem },
            column { $0.info?.plat },
            column { $0.info?.goarch },
            // GiB as the agent rounds it; the column is an integer, as Tactical RMM's.
            column { $0.info.map { String(Int(min(max($0.totalRAM.rounded(.up), 0), 1e9))) } },
            column { $0.info.map { String($0.bootTime) } },
            column { $0.info.map { $0.needsReboot ? "t" : "f" } },
            column { $0.info?.loggedInUsername },
            column { $0.publicIP },
            column { $0.disks },
            column { $0.services },
            column { $0.wmi },
        ]
    }

    /// Returns the ids of agents that came online.
    static func write(_ rows: [TelemetryBatch.Row], pool: DatabasePool) async throws -> [String] {
        let result = try await pool.query(sql, parameters(rows))
        return result.rows.filter { $0.bool("came_online") }.map { $0.string("agent_id") }
    }
}
