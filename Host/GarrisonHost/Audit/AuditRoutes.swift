import Foundation
import Hummingbird

/// `PATCH /logs/audit/`: Tactical RMM's filtered audit query, with paging.
enum AuditRoutes {
    static func render(_ row: PGRow) -> JSON {
        [
            "id": .init(row.int("id")), "username": .init(row.string("username")), "agent": .init(row["agent"]),
            "agent_id": .init(row["agent_id"]),
            "entry_time": .init(row["entry_time"]), "action": .init(row.string("action")), "object_type": .init(row.string("object_type")),
            "before_value": .fromDatabase(row["before_value"]), "after_value": .fromDatabase(row["after_value"]),
            "message": .init(row["message"]),
            "debug_info": .fromDatabase(row["debug_info"]), "ip_address": .init(row["ip_address"]),
        ]
    }

    static func routes(_ host: HostContext) -> [Route] {
        [
            Route(
                .patch, "/logs/audit/", access: .permission("can_view_auditlogs"),
                summary: "Audit log query: agentFilter, userFilter, actionFilter, objectFilter, clientFilter, timeFilter (days), pagination"
            ) { call in
                let body = try call.object()
                var conditions: [String] = []
                var params: [String?] = []
                func add(_ build: (Int) -> String, _ value: String) { params.append(value); conditions.append(build(params.count)) }
                if let agents = try body.optionalStringArray("agentFilter"), !agents.isEmpty {
                    add({ "agent_id = ANY($\($0)::text[])" }, PGArray.literal(agents))
                }
                if let users = try body.optionalStringArray("userFilter"), !users.isEmpty {
                    add({ "username = ANY($\($0)::text[])" }, PGArray.literal(users))
                }
                if let actions = try body.optionalStringArray("actionFilter"), !actions.isEmpty {
                    let valid = Set(AuditLog.Action.allCases.map(\.rawValue))
                    if let bad = actions.first(where: { !valid.contains($0) }) {
                        throw APIError.badRequest("Unknown action '\(bad)' in actionFilter.")
                    }
                    add({ "action = ANY($\($0)::text[])" }, PGArray.literal(actions))
                }
                if let objects = try body.optionalStringArray("objectFilter"), !objects.isEmpty {
                    add({ "object_type = ANY($\($0)::text[])" }, PGArray.literal(objects))
                }
                if let clients = try body.optionalIntArray("clientFilter"), !clients.isEmpty {
                    add({ "client_id = ANY($\($0)::bigint[])" }, PGArray.literal(clients))
                }
                // A scoped role reads the entries of its clients and sites, and its own.
                let caller = try call.user
                if !caller.isSuperuser,
                    let scope = caller.scope.sqlCondition(siteColumn: "site_id", clientColumn: "client_id", nextParameter: params.count + 2)
                {
                    params.append(caller.username)
                    params += scope.params
                    conditions.append("(username = $\(params.count - 2) OR \(scope.sql))")
                }
                if let days = try body.optionalInt("timeFilter") {
                    guard (1...36_500).contains(days) else {
                        throw APIError.badRequest("Field 'timeFilter' must be a number of days from 1 to 36500.")
                    }
                    add({ "entry_time > now() - make_interval(days => $\($0))" }, String(days))
                }
                let pagination = FieldReader(body.fields["pagination"]?.objectValue ?? [:])
                let rowsPerPage = try pagination.optionalInt("rowsPerPage") ?? 100
                let page = try pagination.optionalInt("page") ?? 1
                guard (1...1000).contains(rowsPerPage), (1...1_000_000).contains(page) else {
                    throw APIError.badRequest("pagination needs page from 1 to 1000000 and rowsPerPage from 1 to 1000.")
                }
                let sortable: Set<String> = ["entry_time", "username", "action", "object_type", "agent"]
                let sortBy = try pagination.optionalString("sortBy") ?? "entry_time"
                guard sortable.contains(sortBy) else {
                    throw APIError.badRequest("pagination.sortBy must be one of \(sortable.sorted().joined(separator: ", ")).")
                }
                let direction = (try pagination.optionalBool("descending") ?? true) ? "DESC" : "ASC"
                let whereSQL = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
                let rows = try await host.pool.query(
                    """
                    SELECT *, count(*) OVER () AS total_count FROM audit_log \(whereSQL)
                    ORDER BY \(sortBy) \(direction), id \(direction) LIMIT \(rowsPerPage) OFFSET \((page - 1) * rowsPerPage)
                    """, params
                ).rows
                return Responses.json(["audit_logs": .array(rows.map(render)), "total": .init(rows.first?.int("total_count") ?? 0)])
            }
        ]
    }
}
