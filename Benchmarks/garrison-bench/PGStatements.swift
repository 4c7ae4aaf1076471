import Foundation
import GarrisonHost

/// Where PostgreSQL spends its time during a benchmark: pg_stat_statements in the private
/// cluster, loaded through GARRISON_EMBEDDED_PG_OPTIONS before the host starts it.
enum PGStatements {
    static func enable() {
        setenv("GARRISON_EMBEDDED_PG_OPTIONS", "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all", 1)
    }

    static func print(_ pool: DatabasePool, top: Int = 12) async throws {
        try await pool.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        let rows = try await pool.query(
            """
            SELECT calls::bigint AS calls, round(total_exec_time)::bigint AS ms, round((total_exec_time / greatest(calls, 1))::numeric, 3)::text AS mean,
                   rows::bigint AS rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query
            FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT \(top)
            """
        ).rows
        Swift.print("PostgreSQL statements by total execution time (pg_stat_statements):")
        Swift.print("  calls        ms   mean ms     rows  statement")
        for row in rows {
            Swift.print(
                String(
                    format: "  %6d %9d %9@ %8d  %@", row.int("calls"), row.int("ms"), row.string("mean"), row.int("rows"),
                    row.string("query")))
        }
    }
}
