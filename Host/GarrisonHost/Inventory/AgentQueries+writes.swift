/// The agent table's reads for a page and its writes, so AgentRoutes holds no SQL.
extension AgentQueries {
    /// One page of the filtered list, ordered by hostname, with the filter's total.
    static func page(_ pool: DatabasePool, where whereSQL: String, _ params: [String?], size: Int, page: Int) async throws
        -> (rows: [PGRow], total: Int)
    {
        // Both bounded above by the caller (page to 32 bits), so the offset cannot overflow.
        let pageParams = params + [String(size), String((page - 1) * size)]
        // One round trip: the window count rides along with the page.
        let rows = try await pool.query(
            """
            SELECT \(listColumns), count(*) OVER () AS total_count \(from) \(whereSQL)
            ORDER BY a.hostname, a.id LIMIT $\(params.count + 1) OFFSET $\(params.count + 2)
            """, pageParams
        ).rows
        var total = rows.first?.int("total_count") ?? 0
        if rows.isEmpty, page > 1 {
            total = try await pool.query("SELECT count(*) AS n \(from) \(whereSQL)", params).first?.int("n") ?? 0
        }
        return (rows, total)
    }

    static func all(_ pool: DatabasePool, where whereSQL: String, _ params: [String?]) async throws -> [PGRow] {
        try await pool.query("SELECT \(listColumns) \(from) \(whereSQL) ORDER BY a.hostname, a.id", params).rows
    }

    /// The client of `site`, nil when there is no such site.
    static func clientOf(site: Int, _ pool: DatabasePool) async throws -> Int? {
        try await pool.query("SELECT client_id FROM sites WHERE id = $1", [String(site)]).first?.int("client_id")
    }

    /// Applies an operator's edit (nil fields stay) and answers the row as it is now.
    static func update(_ connection: PGConnection, agentID: String, _ edit: AgentEdit, client: Int?, customFields: JSON?) throws -> PGRow {
        try connection.query(
            """
            UPDATE agents SET site_id = coalesce($2::bigint, site_id), client_id = coalesce($3::bigint, client_id),
                description = coalesce($4, description), monitoring_type = coalesce($5, monitoring_type),
                offline_time = coalesce($6::int, offline_time), overdue_time = coalesce($7::int, overdue_time),
                check_interval = coalesce($8::int, check_interval), overdue_email_alert = coalesce($9::boolean, overdue_email_alert),
                overdue_text_alert = coalesce($10::boolean, overdue_text_alert), overdue_dashboard_alert = coalesce($11::boolean, overdue_dashboard_alert),
                maintenance_mode = coalesce($12::boolean, maintenance_mode), block_policy_inheritance = coalesce($13::boolean, block_policy_inheritance),
                time_zone = CASE WHEN $14::boolean THEN $15 ELSE time_zone END,
                custom_fields = coalesce($16::jsonb, custom_fields), modified_time = now()
            WHERE agent_id = $1
            """,
            [
                agentID, edit.site.map(String.init), client.map(String.init), edit.description, edit.monitoringType,
                edit.offlineTime.map(String.init), edit.overdueTime.map(String.init), edit.checkInterval.map(String.init),
                edit.flag("overdue_email_alert"), edit.flag("overdue_text_alert"), edit.flag("overdue_dashboard_alert"),
                edit.flag("maintenance_mode"), edit.flag("block_policy_inheritance"), edit.setsTimeZone ? "t" : "f", edit.timeZone,
                customFields?.databaseText,
            ])
        return try detail(connection, agentID: agentID)
    }

    static func detail(_ connection: PGConnection, agentID: String) throws -> PGRow {
        try connection.query("SELECT \(detailColumns) \(from) WHERE a.agent_id = $1", [agentID]).first!
    }

    static func delete(_ connection: PGConnection, agentID: String) throws {
        try connection.query("DELETE FROM agents WHERE agent_id = $1", [agentID])
    }

    /// The row of `agentID` with `columns` ("<select list> FROM ..."), nil when there is none.
    static func load(_ pool: DatabasePool, agentID: String, columns: String) async throws -> PGRow? {
        try await pool.query("SELECT \(columns) WHERE a.agent_id = $1", [agentID]).first
    }
}
