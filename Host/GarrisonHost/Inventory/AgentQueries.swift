import Foundation

/// SQL for the agent table. Status is computed in the query from last_seen and the agent's
/// own thresholds (Presence/AgentPresence), so filtering and paging by status happen in the
/// database too.
enum AgentQueries {
    /// Which agents a core_get list kind means: id "all", "client:<pk>" or "site:<pk>".
    enum Selection {
        case all, client(Int), site(Int)

        init?(_ key: String) {
            let parts = key.split(separator: ":", maxSplits: 1).map(String.init)
            switch (parts.first, parts.count == 2 ? Int(parts[1]) : nil) {
            case ("all", _) where parts.count == 1: self = .all
            case ("client", let id?): self = .client(id)
            case ("site", let id?): self = .site(id)
            default: return nil
            }
        }

        /// The WHERE clause on `agents a` and its parameters.
        var filter: (sql: String, params: [String?]) {
            switch self {
            case .all: ("", [])
            case .client(let id): (" WHERE a.client_id = $1", [String(id)])
            case .site(let id): (" WHERE a.site_id = $1", [String(id)])
            }
        }
    }

    /// The agent's presence (Presence/AgentPresence.swift).
    static let status = AgentPresence.statusSQL

    static let listColumns = """
        a.id, a.agent_id, a.hostname, a.description, a.monitoring_type, a.plat, a.goarch, a.operating_system, a.version,
        a.public_ip, a.logged_in_username, a.last_logged_in_user, a.needs_reboot, a.last_seen, a.boot_time, a.maintenance_mode,
        a.block_policy_inheritance, a.overdue_email_alert, a.overdue_text_alert, a.overdue_dashboard_alert,
        a.offline_time, a.overdue_time, a.check_interval, a.site_id, a.client_id, s.name AS site_name, c.name AS client_name,
        \(status) AS status
        """

    static let detailColumns = listColumns + ", a.disks, a.services, a.wmi_detail, " + detailScalarColumns
    /// The detail columns without inventory.
    static let detailScalarColumns =
        "a.total_ram, a.time_zone, a.mesh_node_id, a.custom_fields, a.created_time, a.modified_time, a.policy_id, a.choco_installed"

    static let from = "FROM agents a JOIN sites s ON s.id = a.site_id JOIN clients c ON c.id = a.client_id"

    /// Tactical RMM's short form (`AgentHostname`): client and site by name.
    static func renderShort(_ row: PGRow) -> JSON {
        [
            "id": .init(row.int("id")), "agent_id": .init(row.string("agent_id")), "hostname": .init(row.string("hostname")),
            "client": .init(row.string("client_name")), "site": .init(row.string("site_name")),
        ]
    }

    /// `inventory: false` leaves out disks, services and WMI (agent_variables).
    static func render(_ row: PGRow, detail: Bool = false, inventory: Bool = true) -> JSON {
        var fields: [String: JSON] = [
            "id": .init(row.int("id")), "agent_id": .init(row.string("agent_id")), "hostname": .init(row.string("hostname")),
            "description": .init(row.string("description")), "monitoring_type": .init(row.string("monitoring_type")),
            "plat": .init(row.string("plat")), "goarch": .init(row.string("goarch")),
            "operating_system": .init(row.string("operating_system")),
            "version": .init(row.string("version")), "public_ip": .init(row.string("public_ip")),
            "logged_username": .init(row.string("logged_in_username")), "last_logged_in_user": .init(row.string("last_logged_in_user")),
            "needs_reboot": .init(row.bool("needs_reboot")), "last_seen": .init(row["last_seen"]),
            "boot_time": row["boot_time"].flatMap(Double.init).map(JSON.number) ?? .null,
            "maintenance_mode": .init(row.bool("maintenance_mode")),
            "block_policy_inheritance": .init(row.bool("block_policy_inheritance")),
            "overdue_email_alert": .init(row.bool("overdue_email_alert")), "overdue_text_alert": .init(row.bool("overdue_text_alert")),
            "overdue_dashboard_alert": .init(row.bool("overdue_dashboard_alert")), "offline_time": .init(row.int("offline_time")),
            "overdue_time": .init(row.int("overdue_time")), "check_interval": .init(row.int("check_interval")),
            "site": .init(row.int("site_id")), "client": .init(row.int("client_id")), "site_name": .init(row.string("site_name")),
            "client_name": .init(row.string("client_name")), "status": .init(row.string("status")),
        ]
        if detail {
            fields["total_ram"] = .init(row.optionalInt("total_ram"))
            fields["time_zone"] = .init(row["time_zone"])
            fields["mesh_node_id"] = .init(row.string("mesh_node_id"))
            fields["choco_installed"] = .init(row.bool("choco_installed"))
            if inventory {
                fields["disks"] = .fromDatabase(row["disks"], fallback: [])
                fields["services"] = .fromDatabase(row["services"], fallback: [])
                fields["wmi_detail"] = .fromDatabase(row["wmi_detail"], fallback: [:])
            }
            fields["custom_fields"] = .fromDatabase(row["custom_fields"], fallback: [:])
            fields["created_time"] = .init(row["created_time"])
            fields["modified_time"] = .init(row["modified_time"])
            fields["policy"] = .init(row.optionalInt("policy_id"))
        }
        return .object(fields)
    }

    /// Filters from the query string, validated; an unknown value is a 400, not an empty list.
    struct Filter {
        var client: Int?
        var site: Int?
        var monitoringType: String?
        var plat: String?
        var status: String?
        var search: String?

        init(_ query: [String: String]) throws {
            func int(_ key: String) throws -> Int? {
                guard let text = query[key], !text.isEmpty else { return nil }
                return try RequestInteger.parse(text[...], "Query parameter '\(key)'", in: RequestInteger.id)
            }
            func oneOf(_ key: String, _ allowed: [String]) throws -> String? {
                guard let text = query[key], !text.isEmpty else { return nil }
                guard allowed.contains(text) else {
                    throw APIError.badRequest("Query parameter '\(key)' must be one of \(allowed.joined(separator: ", ")).")
                }
                return text
            }
            client = try int("client")
            site = try int("site")
            monitoringType = try oneOf("monitoring_type", ["server", "workstation"])
            plat = try oneOf("plat", ["windows", "linux", "darwin"])
            status = try oneOf("status", ["online", "offline", "overdue"])
            search = query["search"].flatMap { $0.isEmpty ? nil : $0 }
        }

        func whereClause(scope: ObjectScope) -> (String, [String?]) {
            var conditions: [String] = []
            var params: [String?] = []
            func add(_ sql: (Int) -> String, _ value: String) { params.append(value); conditions.append(sql(params.count)) }
            if let client { add({ "a.client_id = $\($0)" }, String(client)) }
            if let site { add({ "a.site_id = $\($0)" }, String(site)) }
            if let monitoringType { add({ "a.monitoring_type = $\($0)" }, monitoringType) }
            if let plat { add({ "a.plat = $\($0)" }, plat) }
            if let status { add({ "(\(AgentQueries.status)) = $\($0)" }, status) }
            if let search {
                let pattern =
                    "%"
                    + search.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(
                        of: "_", with: "\\_") + "%"
                add(
                    {
                        "(a.hostname ILIKE $\($0) OR a.description ILIKE $\($0) OR a.logged_in_username ILIKE $\($0) OR a.public_ip ILIKE $\($0) OR a.agent_id = $\($0 + 1))"
                    }, pattern)
                params.append(search)
            }
            if let condition = scope.sqlCondition(siteColumn: "a.site_id", clientColumn: "a.client_id", nextParameter: params.count + 1) {
                conditions.append(condition.sql)
                params += condition.params
            }
            return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), params)
        }
    }
}
