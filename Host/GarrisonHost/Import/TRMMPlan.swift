import Foundation

/// The host's part of an import, computed from the source alone: Garrison rows per table,
/// every problem with its table and row, and what is left out. Writing it is then one
/// transaction of bulk inserts (`jsonb_populate_recordset` of the target table's row type).
struct TRMMPlan: Sendable {
    typealias Row = [String: JSON]
    /// (Garrison table, its columns, rows) in FK order.
    var tables: [(table: String, columns: [String], rows: [Row])] = []
    /// Operators, whose ids are fixed once the target's users are known.
    var users: [Row] = []
    var apiKeys: [Row] = []
    var settings: Row = [:]
    var source = ""
    var version = ""

    static func make(source: TRMMSource, describe: String) throws -> (TRMMPlan, TRMMImport.Report) {
        var plan = TRMMPlan()
        var report = TRMMImport.Report()
        plan.source = describe
        plan.version = source.version
        report.source = describe
        report.sourceVersion = source.version
        func problem(_ table: String, _ row: Row, _ message: String, _ outcome: String = "skipped") {
            let id = row["id"].map { $0.intValue.map(String.init) ?? $0.stringValue ?? "?" } ?? "?"
            report.problems.append(.init(table: table, row: "id \(id)", message: message, outcome: outcome))
        }

        // Custom field definitions first: values are stored by field name.
        var fields: [Int: Row] = [:]
        var definitions: [Row] = []
        for row in try source.rows("SELECT * FROM core_customfield ORDER BY id") {
            let name = row["name"]?.stringValue ?? ""
            let type = row["type"]?.stringValue ?? ""
            let model = row["model"]?.stringValue ?? ""
            guard ["client", "site", "agent"].contains(model) else {
                problem("core_customfield", row, "model \(model) is not client, site or agent"); continue
            }
            guard ["text", "number", "single", "multiple", "checkbox", "datetime"].contains(type) else {
                problem("core_customfield", row, "type \(type) is not one Tactical RMM defines"); continue
            }
            guard (1...100).contains(name.count) else { problem("core_customfield", row, "name must be 1 to 100 characters"); continue }
            guard let id = row["id"]?.intValue else { continue }
            fields[id] = row
            definitions.append([
                "id": .init(id), "model": .string(model), "type": .string(type), "name": .string(name),
                "order": .init(max(0, row["order"]?.intValue ?? 0)), "options": .array(row["options"]?.arrayValue ?? []),
                "required": .bool(row["required"]?.boolValue ?? false), "default_value_string": row["default_value_string"] ?? .null,
                "default_value_bool": .bool(row["default_value_bool"]?.boolValue ?? false),
                "default_values_multiple": .array(row["default_values_multiple"]?.arrayValue ?? []),
                "hide_in_ui": .bool(row["hide_in_ui"]?.boolValue ?? false),
                "hide_in_summary": .bool(row["hide_in_summary"]?.boolValue ?? false),
                "created_by": row["created_by"] ?? .null, "created_time": orNow(row["created_time"]),
                "modified_by": row["modified_by"] ?? .null, "modified_time": orNow(row["modified_time"]),
            ])
        }
        /// Values of one owner kind: owner id -> {field name: value} as Garrison stores them.
        func values(_ table: String, owner: String) throws -> [Int: [String: JSON]] {
            var result: [Int: [String: JSON]] = [:]
            for row in try source.rows("SELECT * FROM \(table) ORDER BY id") {
                guard let ownerID = row[owner]?.intValue, let fieldID = row["field_id"]?.intValue, let field = fields[fieldID] else {
                    problem(table, row, "its field \(row["field_id"]?.intValue.map(String.init) ?? "?") is not an imported custom field")
                    continue
                }
                let name = field["name"]?.stringValue ?? ""
                let value: JSON
                switch field["type"]?.stringValue {
                case "checkbox": value = .bool(row["bool_value"]?.boolValue ?? false)
                case "multiple": value = .array(row["multiple_value"]?.arrayValue ?? [])
                default:
                    guard let text = row["string_value"], !text.isNull else { continue }
                    value = text
                }
                // Client and site values have no UNIQUE (owner, field): the last row wins, as
                // Tactical RMM's serializer shows the last one.
                if result[ownerID]?[name] != nil {
                    problem(table, row, "a second value of field \(name) for \(owner) \(ownerID)", "imported: this later value is kept")
                }
                result[ownerID, default: [:]][name] = value
            }
            return result
        }
        let clientValues = try values("clients_clientcustomfield", owner: "client_id")
        let siteValues = try values("clients_sitecustomfield", owner: "site_id")
        let agentValues = try values("agents_agentcustomfield", owner: "agent_id")

        // Policies, with their exclusions (host table `policies`).
        var policyIDs = Set<Int>()
        let exclusions = { (kind: String, column: String) throws -> [Int: [Int]] in
            var map: [Int: [Int]] = [:]
            for row in try source.rows("SELECT policy_id, \(column) AS x FROM automation_policy_excluded_\(kind) ORDER BY id") {
                if let policy = row["policy_id"]?.intValue, let x = row["x"]?.intValue { map[policy, default: []].append(x) }
            }
            return map
        }
        let excludedClients = try exclusions("clients", "client_id")
        let excludedSites = try exclusions("sites", "site_id")
        let excludedAgents = try exclusions("agents", "agent_id")
        var policies: [Row] = []
        for row in try source.rows("SELECT * FROM automation_policy ORDER BY id") {
            guard let id = row["id"]?.intValue else { continue }
            policyIDs.insert(id)
            policies.append(
                audit(row).merging([
                    "id": .init(id), "name": row["name"] ?? .string("policy \(id)"), "description": .string(row["desc"]?.stringValue ?? ""),
                    "active": .bool(row["active"]?.boolValue ?? false), "enforced": .bool(row["enforced"]?.boolValue ?? false),
                    "alert_template": row["alert_template_id"] ?? .null,
                    "excluded_clients": .init(excludedClients[id] ?? []), "excluded_sites": .init(excludedSites[id] ?? []),
                    "excluded_agents": .init(excludedAgents[id] ?? []),
                ]) { $1 })
        }
        func policy(_ value: JSON?) -> JSON { value?.intValue.map { policyIDs.contains($0) ? .init($0) : .null } ?? .null }
        plan.tables.append(("policies", Self.policyColumns, policies))
        report.counts.append(("policies (automation_policy)", policies.count))

        var clients: [Row] = []
        var clientIDs = Set<Int>()
        for row in try source.rows("SELECT * FROM clients_client ORDER BY id") {
            guard let id = row["id"]?.intValue else { continue }
            clientIDs.insert(id)
            clients.append(
                audit(row).merging([
                    "id": .init(id), "name": row["name"] ?? .string("client \(id)"),
                    "block_policy_inheritance": .bool(row["block_policy_inheritance"]?.boolValue ?? false),
                    "custom_fields": .object(clientValues[id] ?? [:]),
                    "server_policy": policy(row["server_policy_id"]), "workstation_policy": policy(row["workstation_policy_id"]),
                ]) { $1 })
        }
        plan.tables.append(("clients", Self.ownerColumns, clients))
        report.counts.append(("clients (clients_client)", clients.count))

        var sites: [Row] = []
        var siteClient: [Int: Int] = [:]
        for row in try source.rows("SELECT * FROM clients_site ORDER BY id") {
            guard let id = row["id"]?.intValue else { continue }
            guard let client = row["client_id"]?.intValue, clientIDs.contains(client) else {
                problem("clients_site", row, "its client \(row["client_id"]?.intValue.map(String.init) ?? "null") does not exist"); continue
            }
            siteClient[id] = client
            sites.append(
                audit(row).merging([
                    "id": .init(id), "client_id": .init(client), "name": row["name"] ?? .string("site \(id)"),
                    "block_policy_inheritance": .bool(row["block_policy_inheritance"]?.boolValue ?? false),
                    "custom_fields": .object(siteValues[id] ?? [:]),
                    "server_policy": policy(row["server_policy_id"]), "workstation_policy": policy(row["workstation_policy_id"]),
                ]) { $1 })
        }
        plan.tables.append(("sites", Self.ownerColumns + ["client_id"], sites))
        report.counts.append(("sites (clients_site)", sites.count))

        // Agents with the token of their Django user: the only credential an installed agent has.
        var agents: [Row] = []
        var agentIDs: [Int: String] = [:]
        let agentRows = try source.rows(
            """
            SELECT a.*, t.key AS token, u.is_active AS user_active
            FROM agents_agent a LEFT JOIN accounts_user u ON u.agent_id = a.id LEFT JOIN authtoken_token t ON t.user_id = u.id
            ORDER BY a.id
            """)
        var withoutToken = 0
        for row in agentRows {
            guard let id = row["id"]?.intValue else { continue }
            let agentID = row["agent_id"]?.stringValue ?? ""
            guard NATSServerConfig.isValidAgentID(agentID) else {
                problem("agents_agent", row, "agent_id \"\(agentID)\" is not letters and digits (at most 128)"); continue
            }
            guard let site = row["site_id"]?.intValue, let client = siteClient[site] else {
                problem(
                    "agents_agent", row,
                    "agent \(agentID) (\(row["hostname"]?.stringValue ?? "")): its site \(row["site_id"]?.intValue.map(String.init) ?? "null") does not exist"
                )
                continue
            }
            var token = row["token"]?.stringValue
            if token == nil {
                withoutToken += 1
                problem(
                    "agents_agent", row, "agent \(agentID) has no token (authtoken_token): it cannot sign in",
                    "imported: reinstall that agent to give it one")
            } else if row["user_active"]?.boolValue == false {
                token = nil
                problem("agents_agent", row, "agent \(agentID)'s user is inactive: Tactical RMM refuses its token", "imported without a token")
            }
            agentIDs[id] = agentID
            var agent: Row = [
                "id": .init(id), "agent_id": .string(agentID), "site_id": .init(site), "client_id": .init(client),
                "hostname": .string(row["hostname"]?.stringValue ?? ""), "policy_id": policy(row["policy_id"]),
                "custom_fields": .object(agentValues[id] ?? [:]),
                "monitoring_type": .string(row["monitoring_type"]?.stringValue == "workstation" ? "workstation" : "server"),
                "disks": row["disks"].flatMap { $0.arrayValue.map(JSON.array) } ?? .array([]),
                "services": row["services"].flatMap { $0.arrayValue.map(JSON.array) } ?? .array([]),
                "wmi_detail": row["wmi_detail"].flatMap { $0.objectValue.map(JSON.object) } ?? .object([:]),
                "created_time": orNow(row["created_time"]), "modified_time": orNow(row["modified_time"]),
            ]
            for column in [
                "plat", "goarch", "operating_system", "version", "public_ip", "logged_in_username", "last_logged_in_user",
                "description", "mesh_node_id",
            ] {
                agent[column] = .string(row[column]?.stringValue ?? (column == "plat" ? "windows" : ""))
            }
            for column in ["total_ram", "boot_time", "last_seen", "time_zone"] { agent[column] = row[column] ?? .null }
            for (column, fallback) in [("offline_time", 4), ("overdue_time", 30), ("check_interval", 120)] {
                let value = row[column]?.intValue ?? fallback
                if value < 0 || value > 1_000_000 {
                    problem("agents_agent", row, "\(column) \(value) is out of range", "imported with \(fallback)")
                    agent[column] = .init(fallback)
                } else {
                    agent[column] = .init(value)
                }
            }
            for column in [
                "needs_reboot", "overdue_email_alert", "overdue_text_alert", "overdue_dashboard_alert", "maintenance_mode",
                "block_policy_inheritance", "choco_installed",
            ] {
                agent[column] = .bool(row[column]?.boolValue ?? false)
            }
            if let token {
                agent["token_digest"] = .string(Crypto.sha256Hex(token))
                guard let hash = NATSPassword.hash(token) else { throw TRMMImportError("cannot bcrypt an agent's NATS password") }
                agent["nats_password"] = .string(hash)
            }
            agents.append(agent)
        }
        plan.tables.append(("agents", Self.agentColumns, agents))
        report.counts.append(("agents (agents_agent, with tokens for REST and NATS)", agents.count - withoutToken))
        if withoutToken > 0 { report.counts.append(("agents without a token", withoutToken)) }

        // Roles: Garrison's permissions are Tactical RMM's boolean names.
        func scope(_ table: String, _ column: String, keep: (Int) -> Bool) throws -> [Int: [Int]] {
            var map: [Int: [Int]] = [:]
            for row in try source.rows("SELECT role_id, \(column) AS x FROM \(table) ORDER BY id") {
                if let role = row["role_id"]?.intValue, let x = row["x"]?.intValue, keep(x) { map[role, default: []].append(x) }
            }
            return map
        }
        let roleClients = try scope("accounts_role_can_view_clients", "client_id") { clientIDs.contains($0) }
        let roleSites = try scope("accounts_role_can_view_sites", "site_id") { siteClient[$0] != nil }
        var roles: [Row] = []
        var roleIDs = Set<Int>()
        for row in try source.rows("SELECT * FROM accounts_role ORDER BY id") {
            guard let id = row["id"]?.intValue else { continue }
            roleIDs.insert(id)
            var permissions: [String] = []
            for name in Permissions.all {
                // 1.2.x has no can_use_terminal: 1.5.0's migration copied it from can_use_mesh.
                let value = row[name]?.boolValue ?? (name == "can_use_terminal" ? row["can_use_mesh"]?.boolValue : nil) ?? false
                if value { permissions.append(name) }
            }
            roles.append([
                "id": .init(id), "name": row["name"] ?? .string("role \(id)"), "is_superuser": .bool(row["is_superuser"]?.boolValue ?? false),
                "permissions": .init(permissions), "can_view_clients": .init(roleClients[id] ?? []),
                "can_view_sites": .init(roleSites[id] ?? []), "created_by": .string(row["created_by"]?.stringValue ?? ""),
                "created_time": orNow(row["created_time"]), "modified_time": orNow(row["modified_time"]),
            ])
        }
        plan.tables.append(("roles", Self.roleColumns, roles))
        report.counts.append(("roles (accounts_role, with client/site scope)", roles.count))

        // Operators: not agent users, not the installer user.
        var operatorIDs = Set<Int>()
        for row in try source.rows("SELECT * FROM accounts_user WHERE agent_id IS NULL AND NOT is_installer_user ORDER BY id") {
            guard let id = row["id"]?.intValue else { continue }
            let username = row["username"]?.stringValue ?? ""
            guard !username.isEmpty else { problem("accounts_user", row, "empty username"); continue }
            let password = row["password"]?.stringValue ?? ""
            if password.hasPrefix(DjangoPBKDF2.prefix) {
                if let wrong = DjangoPBKDF2.problem(password) {
                    problem("accounts_user", row, "\(username)'s password hash: \(wrong)", "imported: set a new password for \(username)")
                }
            } else if password.hasPrefix("!") || password.isEmpty {
                problem(
                    "accounts_user", row, "\(username) has no usable password (an SSO account)",
                    "imported: set a password for \(username) (single sign-on is not imported)")
            } else {
                let scheme = password.split(separator: "$").first.map(String.init) ?? "?"
                problem("accounts_user", row, "\(username)'s password uses \(scheme), which Garrison does not verify", "imported: set a new password")
            }
            var role = row["role_id"] ?? .null
            if let roleID = role.intValue, !roleIDs.contains(roleID) { role = .null }
            operatorIDs.insert(id)
            plan.users.append([
                "id": .init(id), "username": .string(username), "email": .string(row["email"]?.stringValue ?? ""),
                "first_name": .string(row["first_name"]?.stringValue ?? ""), "last_name": .string(row["last_name"]?.stringValue ?? ""),
                "password_hash": .string(password), "is_active": .bool(row["is_active"]?.boolValue ?? true),
                "is_superuser": .bool(row["is_superuser"]?.boolValue ?? false), "role_id": role,
                "block_dashboard_login": .bool(row["block_dashboard_login"]?.boolValue ?? false),
                "last_login": row["last_login"] ?? .null, "last_login_ip": row["last_login_ip"] ?? .null,
                "date_joined": orNow(row["date_joined"]), "ui": UserUI.imported(row),
            ])
        }
        report.counts.append(("operators (accounts_user, Django password hashes verified at sign-in)", plan.users.count))

        for row in try source.rows("SELECT * FROM accounts_apikey ORDER BY id") {
            guard let id = row["id"]?.intValue, let key = row["key"]?.stringValue, !key.isEmpty else { continue }
            guard let user = row["user_id"]?.intValue, operatorIDs.contains(user) else {
                problem("accounts_apikey", row, "its user \(row["user_id"]?.intValue.map(String.init) ?? "?") is not an imported operator")
                continue
            }
            plan.apiKeys.append([
                "id": .init(id), "name": row["name"] ?? .string("key \(id)"), "digest": .string(Crypto.sha256Hex(key)),
                "key_prefix": .string(String(key.prefix(8))), "user_id": .init(user), "expiration": row["expiration"] ?? .null,
                "created_by": .string(row["created_by"]?.stringValue ?? ""), "created_time": orNow(row["created_time"]),
                "modified_time": orNow(row["modified_time"]),
            ])
        }
        report.counts.append(("API keys (accounts_apikey)", plan.apiKeys.count))

        plan.tables.append(("custom_field_definitions", Self.fieldColumns, definitions))
        report.counts.append(("custom field definitions (core_customfield)", definitions.count))

        var keystore: [Row] = []
        var keyNames = Set<String>()
        for row in try source.rows("SELECT * FROM core_globalkvstore ORDER BY id") {
            let name = row["name"]?.stringValue ?? ""
            guard !name.isEmpty else { problem("core_globalkvstore", row, "empty name"); continue }
            guard keyNames.insert(name).inserted else {
                problem("core_globalkvstore", row, "a second key named \(name) (Garrison's names are unique; {{global.\(name)}} read the first)")
                continue
            }
            keystore.append(
                audit(row).merging(["id": row["id"] ?? .null, "name": .string(name), "value": .string(row["value"]?.stringValue ?? "")]) {
                    $1
                })
        }
        plan.tables.append(("global_keystore", Self.keystoreColumns, keystore))
        report.counts.append(("global key store (core_globalkvstore)", keystore.count))

        var notes: [Row] = []
        for row in try source.rows(
            "SELECT n.*, u.username FROM agents_note n LEFT JOIN accounts_user u ON u.id = n.user_id ORDER BY n.id")
        {
            guard let agent = row["agent_id"]?.intValue, let agentID = agentIDs[agent] else {
                problem("agents_note", row, "its agent \(row["agent_id"]?.intValue.map(String.init) ?? "?") is not imported"); continue
            }
            notes.append([
                "id": row["id"] ?? .null, "agent_id": .string(agentID), "username": .string(row["username"]?.stringValue ?? ""),
                "note": .string(row["note"]?.stringValue ?? ""), "entry_time": orNow(row["entry_time"]),
            ])
        }
        plan.tables.append(("agent_notes", ["id", "agent_id", "username", "note", "entry_time"], notes))
        report.counts.append(("agent notes (agents_note)", notes.count))

        var history: [Row] = []
        for row in try source.rows(
            "SELECT h.*, s.name AS script_name FROM agents_agenthistory h LEFT JOIN scripts_script s ON s.id = h.script_id ORDER BY h.id")
        {
            guard let agent = row["agent_id"]?.intValue, let agentID = agentIDs[agent] else { continue }
            let type = row["type"]?.stringValue ?? "cmd_run"
            guard ["cmd_run", "script_run", "task_run"].contains(type) else {
                problem("agents_agenthistory", row, "type \(type) is not cmd_run, script_run or task_run"); continue
            }
            history.append([
                "id": row["id"] ?? .null, "agent_id": .string(agentID), "time": orNow(row["time"]), "type": .string(type),
                "command": .string(row["command"]?.stringValue ?? ""), "username": .string(row["username"]?.stringValue ?? ""),
                "script_name": .string(row["script_name"]?.stringValue ?? ""), "origin": .string("tactical-rmm import"),
                "status": .string("completed"), "results": row["results"] ?? .null,
                "script_results": row["script_results"] ?? .null, "finished": orNow(row["time"]),
            ])
        }
        plan.tables.append(("agent_history", Self.historyColumns, history))
        report.counts.append(("agent history (agents_agenthistory)", history.count))

        // Core settings Garrison knows, under its own keys.
        if let row = try source.rows("SELECT * FROM core_coresettings ORDER BY id LIMIT 1").first {
            for (key, _, _) in CoreSettings.schema {
                if let value = row[key], !value.isNull { plan.settings[key] = value }
            }
            plan.settings["server_policy"] = policy(row["server_policy_id"])
            plan.settings["workstation_policy"] = policy(row["workstation_policy_id"])
            if let template = row["alert_template_id"], !template.isNull { plan.settings["alert_template"] = template }
            report.counts.append(("core settings (core_coresettings: SMTP, Twilio, MeshCentral, time zone, retention, default policies)", 1))
        }

        // Checks belong to the checks plugin, but their problems are the source's and are said now.
        for row in try source.rows(
            "SELECT id, agent_id, policy_id, check_type, warning_threshold, error_threshold, managed_by_policy FROM checks_check ORDER BY id")
        {
            if row["managed_by_policy"]?.boolValue == true { continue }
            if let agent = row["agent_id"]?.intValue, agentIDs[agent] == nil {
                problem("checks_check", row, "its agent \(agent) is not imported")
                continue
            }
            let type = row["check_type"]?.stringValue ?? ""
            guard ["diskspace", "cpuload", "memory"].contains(type) else { continue }
            for column in ["warning_threshold", "error_threshold"] {
                if let value = row[column]?.intValue, !(0...100).contains(value) {
                    problem("checks_check", row, "\(type) \(column) \(value) is not a percentage (0 to 100)")
                }
            }
        }

        report.notImported = Self.notImported(source: source)
        return (plan, report)
    }

    static var now: String { ISO8601DateFormatter().string(from: Date()) }

    /// A timestamp, or now when the source has none (Garrison's audit times are NOT NULL).
    static func orNow(_ value: JSON?) -> JSON {
        guard let value, !value.isNull else { return .string(now) }
        return value
    }

    static func audit(_ row: Row) -> Row {
        [
            "created_by": .string(row["created_by"]?.stringValue ?? ""), "created_time": orNow(row["created_time"]),
            "modified_by": .string(row["modified_by"]?.stringValue ?? ""), "modified_time": orNow(row["modified_time"]),
        ]
    }

    static let auditColumns = ["created_by", "created_time", "modified_by", "modified_time"]
    static let policyColumns =
        ["id", "name", "description", "active", "enforced", "alert_template", "excluded_clients", "excluded_sites", "excluded_agents"]
        + auditColumns
    static let ownerColumns =
        ["id", "name", "block_policy_inheritance", "custom_fields", "server_policy", "workstation_policy"] + auditColumns
    static let agentColumns = [
        "id", "agent_id", "site_id", "client_id", "hostname", "description", "monitoring_type", "plat", "goarch", "operating_system",
        "version", "public_ip", "total_ram", "boot_time", "logged_in_username", "last_logged_in_user", "needs_reboot", "last_seen",
        "offline_time", "overdue_time", "check_interval", "overdue_email_alert", "overdue_text_alert", "overdue_dashboard_alert",
        "maintenance_mode", "block_policy_inheritance", "time_zone", "mesh_node_id", "disks", "services", "wmi_detail",
        "custom_fields", "token_digest", "nats_password", "policy_id", "choco_installed", "created_time", "modified_time",
    ]
    static let roleColumns = [
        "id", "name", "is_superuser", "permissions", "can_view_clients", "can_view_sites", "created_by", "created_time", "modified_time",
    ]
    static let userColumns = [
        "id", "username", "email", "first_name", "last_name", "password_hash", "is_active", "is_superuser", "role_id",
        "block_dashboard_login", "last_login", "last_login_ip", "date_joined", "ui",
    ]
    static let apiKeyColumns = [
        "id", "name", "digest", "key_prefix", "user_id", "expiration", "created_by", "created_time", "modified_time",
    ]
    static let fieldColumns = [
        "id", "model", "type", "name", "order", "options", "required", "default_value_string", "default_value_bool",
        "default_values_multiple", "hide_in_ui", "hide_in_summary",
    ] + auditColumns
    static let keystoreColumns = ["id", "name", "value"] + auditColumns
    static let historyColumns = [
        "id", "agent_id", "time", "type", "command", "username", "script_name", "origin", "status", "results", "script_results",
        "finished",
    ]

    /// What the host part leaves out, and why (docs/switching-from-tactical-rmm.md).
    static func notImported(source: TRMMSource) -> [(what: String, reason: String)] {
        var list: [(what: String, reason: String)] = []
        func add(_ table: String, _ reason: String) {
            let rows = (try? source.count(table)) ?? 0
            if rows > 0 { list.append(("\(table) (\(rows) rows)", reason)) }
        }
        add("autotasks_automatedtask", "automated tasks belong to the scripting plugin; not imported yet")
        add("alerts_alerttemplate", "alert templates belong to the alerts plugin; not imported yet")
        add("alerts_alert", "alerts are raised anew by the alerts plugin when checks fail")
        add("winupdate_winupdatepolicy", "patch policies belong to the patching plugin; not imported yet")
        add("winupdate_winupdate", "agents rescan their updates; approvals are not imported yet")
        add("knox_authtoken", "operator sessions end with the switch (sign in again); installer tokens are SHA-512 digests Garrison does not verify: make new installers")
        add("clients_deployment", "deployment links carry installer tokens (above): make new links")
        add("socialaccount_socialapp", "single sign-on providers are not supported by Garrison")
        add("socialaccount_socialaccount", "single sign-on accounts are not supported by Garrison")
        add("reporting_reporttemplate", "reporting (Tactical RMM's enterprise edition) has no Garrison counterpart")
        add("reporting_reportschedule", "reporting schedules have no Garrison counterpart")
        add("core_schedule", "schedules serve reporting only")
        add("core_urlaction", "URL actions belong to the urlaction plugin; its import part is not written yet")
        add("core_codesigntoken", "the code-signing token is Amidaware's licence, not Garrison's")
        add("logs_auditlog", "the audit log stays with Tactical RMM (Garrison starts its own)")
        add("logs_debuglog", "debug logs are transient")
        add("logs_pendingaction", "pending actions expire; queue them again if still wanted")
        add("software_installedsoftware", "agents upload their software inventory again on their next report")
        list.append(("SECRET_KEY, MESH_TOKEN_KEY, TLS certificates", "they live in local_settings.py and on disk, not in the database"))
        return list
    }

    /// Operators keep their ids unless the target's first-run admin holds one; an operator
    /// named `admin` replaces the first-run admin.
    func resolveUsers(existing: [(id: Int, username: String)], report: TRMMImport.Report) throws -> TRMMImport.Report {
        var report = report
        let incoming = Set(users.compactMap { $0["username"]?.stringValue })
        let kept = existing.filter { !incoming.contains($0.username) }
        var taken = Set(kept.map(\.id))
        var next = max((users.compactMap { $0["id"]?.intValue }.max() ?? 0), (taken.max() ?? 0)) + 1
        for user in users {
            guard let id = user["id"]?.intValue, taken.contains(id) else { continue }
            report.mappings.append(.init(table: "accounts_user", sourceID: id, targetID: next))
            taken.insert(next)
            next += 1
        }
        if existing.contains(where: { incoming.contains($0.username) }) {
            report.problems.append(
                .init(
                    table: "accounts_user", row: "username admin", message: "Garrison's first-run admin has the same name",
                    outcome: "imported: Tactical RMM's admin replaces it"))
        }
        return report
    }

    func write(_ connection: PGConnection, report: TRMMImport.Report) throws {
        try connection.query("LOCK TABLE import_runs IN EXCLUSIVE MODE")
        guard try connection.query("SELECT 1 FROM import_runs WHERE part = $1", [TRMMImport.hostPart]).rows.isEmpty else {
            throw TRMMImportError("another import-trmm --apply finished first; this one changed nothing")
        }
        let userMap = Dictionary(uniqueKeysWithValues: report.mappings.filter { $0.table == "accounts_user" }.map { ($0.sourceID, $0.targetID) })
        for (table, columns, rows) in tables {
            if table == "agent_notes" {
                // Operators after roles and agents; notes and history after agents.
                try insertUsers(connection, userMap: userMap)
            }
            try Self.insert(connection, table: table, columns: columns, rows: rows)
        }
        if !tables.contains(where: { $0.table == "agent_notes" }) { try insertUsers(connection, userMap: userMap) }
        if !settings.isEmpty {
            try connection.query(
                "UPDATE core_settings SET settings = settings || $1::jsonb, modified_time = now() WHERE id = 1",
                [String(decoding: JSON.object(settings).serialized(), as: UTF8.self)])
        }
        for table in ["policies", "clients", "sites", "agents", "roles", "users", "api_keys", "custom_field_definitions", "global_keystore", "agent_notes", "agent_history"] {
            try connection.query(
                "SELECT setval(pg_get_serial_sequence($1, 'id'), greatest((SELECT max(id) FROM \(table)), 1))", [table])
        }
        let counts = JSON.object(Dictionary(report.counts.map { ($0.what, JSON.number(Double($0.count))) }) { a, _ in a })
        try connection.query(
            "INSERT INTO import_runs (part, source, source_version, counts, problems, mappings) VALUES ($1, $2, $3, $4, $5, $6)",
            [
                TRMMImport.hostPart, source, version, String(decoding: counts.serialized(), as: UTF8.self),
                String(decoding: JSON.array(report.problems.map(\.json)).serialized(), as: UTF8.self),
                String(decoding: JSON.array(report.mappings.map(\.json)).serialized(), as: UTF8.self),
            ])
        try AuditLog.record(
            .init(
                username: "garrison", action: .add, objectType: "coresettings",
                message: "Imported Tactical RMM \(version) from \(source) (\(report.problems.count) problems)"),
            on: connection)
    }

    private func insertUsers(_ connection: PGConnection, userMap: [Int: Int]) throws {
        let names = users.compactMap { $0["username"]?.stringValue }
        try connection.query("DELETE FROM users WHERE username = ANY($1::text[])", [PGArray.literal(names)])
        let rows = users.map { user -> Row in
            var user = user
            if let id = user["id"]?.intValue, let target = userMap[id] { user["id"] = .init(target) }
            return user
        }
        try Self.insert(connection, table: "users", columns: Self.userColumns, rows: rows)
        let keys = apiKeys.map { key -> Row in
            var key = key
            if let id = key["user_id"]?.intValue, let target = userMap[id] { key["user_id"] = .init(target) }
            return key
        }
        try Self.insert(connection, table: "api_keys", columns: Self.apiKeyColumns, rows: keys)
    }

    /// Bulk insert: the rows travel as one JSON array per chunk, typed by the table's own row type.
    static func insert(_ connection: PGConnection, table: String, columns: [String], rows: [Row]) throws {
        guard !rows.isEmpty else { return }
        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        var start = 0
        while start < rows.count {
            let chunk = Array(rows[start..<min(rows.count, start + 2000)])
            let filtered = chunk.map { row in JSON.object(row.filter { columns.contains($0.key) }) }
            try connection.query(
                "INSERT INTO \(table) (\(list)) SELECT \(list) FROM jsonb_populate_recordset(NULL::\(table), $1::jsonb)",
                [String(decoding: JSON.array(filtered).serialized(), as: UTF8.self)])
            start += 2000
        }
    }
}
