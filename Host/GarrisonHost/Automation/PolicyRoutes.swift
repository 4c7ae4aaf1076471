import Foundation
import Hummingbird

/// Automation policies (`/automation/policies/...`, docs/compatibility.md §2.3). The checks,
/// tasks and patch settings inside a policy belong to their plugins, which learn which
/// policies reach an agent through core_get "agent_policies".
enum PolicyRoutes {
    struct Fields {
        var name: String?
        var description: String?
        var active: Bool?
        var enforced: Bool?
        var alertTemplate: Int?
        var setsAlertTemplate = false
        var excludedClients: [Int]?
        var excludedSites: [Int]?
        var excludedAgents: [Int]?

        init(_ f: FieldReader) throws {
            name = try f.optionalString("name")?.trimmingCharacters(in: .whitespacesAndNewlines)
            if name?.isEmpty == true { throw APIError.badRequest("Field 'name' must not be empty.") }
            description = try f.optionalString("desc")
            active = try f.optionalBool("active")
            enforced = try f.optionalBool("enforced")
            if f.has("alert_template") { setsAlertTemplate = true; alertTemplate = try f.optionalInt("alert_template") }
            excludedClients = try f.optionalIntArray("excluded_clients")
            excludedSites = try f.optionalIntArray("excluded_sites")
            excludedAgents = try f.optionalIntArray("excluded_agents")
        }

        func bool(_ value: Bool?) -> String? { value.map { $0 ? "t" : "f" } }
        func array(_ value: [Int]?) -> String? { value.map { PGArray.literal($0) } }
    }

    static func routes(_ host: HostContext) -> [Route] {
        let list = Access.permission("can_list_automation_policies"), manage = Access.permission("can_manage_automation_policies")
        return [
            Route(.get, "/automation/policies/", access: list, summary: "Automation policies") { _ in
                Responses.json(
                    .array(
                        try await host.pool.query("SELECT \(PolicyQueries.columns) FROM policies p ORDER BY p.name").rows.map(
                            PolicyQueries.render)))
            },
            Route(
                .get, "/automation/policies/overview/", access: list,
                summary: "Each client and site the role sees with its server and workstation policies"
            ) { call in
                let policies = Dictionary(
                    uniqueKeysWithValues: try await host.pool.query("SELECT \(PolicyQueries.columns) FROM policies p").rows.map {
                        ($0.int("id"), PolicyQueries.render($0))
                    })
                func slots(_ object: JSON) -> [String: JSON] {
                    [
                        "pk": object["id"] ?? .null, "name": object["name"] ?? .null,
                        "workstation_policy": object["workstation_policy"]?.intValue.flatMap { policies[$0] } ?? .null,
                        "server_policy": object["server_policy"]?.intValue.flatMap { policies[$0] } ?? .null,
                    ]
                }
                // Tactical RMM filters the clients and lists all their sites; Garrison keeps the
                // sites to the role's scope too.
                let clients = try await ClientRoutes.visibleClients(host, try call.user)
                return Responses.json(
                    .array(
                        clients.map { client in
                            var entry = slots(client)
                            entry["sites"] = .array((client["sites"]?.arrayValue ?? []).map { .object(slots($0)) })
                            return .object(entry)
                        }))
            },
            Route(.post, "/automation/policies/", access: manage, summary: "Create a policy") { call in
                let fields = try Fields(try call.object())
                guard let name = fields.name else { throw APIError.badRequest("Field 'name' is required.") }
                let id = try await host.pool.transaction { connection in
                    do {
                        let row = try connection.query(
                            """
                            INSERT INTO policies (name, description, active, enforced, alert_template, excluded_clients, excluded_sites, excluded_agents, created_by, modified_by)
                            VALUES ($1, coalesce($2, ''), coalesce($3::boolean, true), coalesce($4::boolean, false), $5::bigint,
                                    coalesce($6::bigint[], '{}'), coalesce($7::bigint[], '{}'), coalesce($8::bigint[], '{}'), $9, $9)
                            RETURNING id
                            """,
                            [
                                name, fields.description, fields.bool(fields.active), fields.bool(fields.enforced),
                                fields.alertTemplate.map(String.init),
                                fields.array(fields.excludedClients), fields.array(fields.excludedSites),
                                fields.array(fields.excludedAgents), call.principal?.name ?? "",
                            ]
                        ).first!
                        try AuditLog.record(
                            .init(
                                call, .add, "automationpolicy", "Added policy \(name)",
                                after: ["id": .init(row.int("id")), "name": .init(name)]), on: connection)
                        return row.int("id")
                    } catch let error as DatabaseError where error.isUniqueViolation {
                        throw APIError.badRequest("A policy named \(name) already exists.")
                    }
                }
                // As for an edit: plugins that keep something per policy (its alert template) learn of it.
                host.events.publish("core.policy.changed", ["id": .init(id)])
                return Responses.message("ok")
            },
            Route(.get, "/automation/policies/<pk>/", access: list, summary: "One policy") { call in
                let id = try call.intParam("pk")
                guard let row = try await PolicyQueries.load(host.pool, id) else { throw APIError.notFound("No policy with id \(id).") }
                return Responses.json(PolicyQueries.render(row))
            },
            Route(.put, "/automation/policies/<pk>/", access: manage, summary: "Edit a policy (name, desc, active, enforced, exclusions)") {
                call in
                let id = try call.intParam("pk")
                let fields = try Fields(try call.object())
                guard let before = try await PolicyQueries.load(host.pool, id) else { throw APIError.notFound("No policy with id \(id).") }
                let caller = try call.user
                try await GrantRules.checked(call, host, "automationpolicy") {
                    try await PolicyReach.requireInside(host.pool, policy: id, caller: caller)
                }
                try await host.pool.transaction { connection in
                    do {
                        try connection.query(
                            """
                            UPDATE policies SET name = coalesce($2, name), description = coalesce($3, description), active = coalesce($4::boolean, active),
                                enforced = coalesce($5::boolean, enforced), alert_template = CASE WHEN $6::boolean THEN $7::bigint ELSE alert_template END,
                                excluded_clients = coalesce($8::bigint[], excluded_clients), excluded_sites = coalesce($9::bigint[], excluded_sites),
                                excluded_agents = coalesce($10::bigint[], excluded_agents), modified_by = $11, modified_time = now()
                            WHERE id = $1
                            """,
                            [
                                String(id), fields.name, fields.description, fields.bool(fields.active), fields.bool(fields.enforced),
                                fields.setsAlertTemplate ? "t" : "f", fields.alertTemplate.map(String.init),
                                fields.array(fields.excludedClients),
                                fields.array(fields.excludedSites), fields.array(fields.excludedAgents), call.principal?.name ?? "",
                            ])
                    } catch let error as DatabaseError where error.isUniqueViolation {
                        throw APIError.badRequest("Another policy already has that name.")
                    }
                    try AuditLog.record(
                        .init(
                            call, .modify, "automationpolicy", "Modified policy \(before.string("name"))",
                            before: PolicyQueries.render(before), after: .object(try call.object().fields)), on: connection)
                }
                host.events.publish("core.policy.changed", ["id": .init(id)])
                return Responses.message("ok")
            },
            Route(.delete, "/automation/policies/<pk>/", access: manage, summary: "Delete a policy (its slots are cleared)") { call in
                let id = try call.intParam("pk")
                guard let before = try await PolicyQueries.load(host.pool, id) else { throw APIError.notFound("No policy with id \(id).") }
                let caller = try call.user
                try await GrantRules.checked(call, host, "automationpolicy") {
                    try await PolicyReach.requireInside(host.pool, policy: id, caller: caller)
                }
                try await host.pool.transaction { connection in
                    try connection.query("DELETE FROM policies WHERE id = $1", [String(id)])
                    try AuditLog.record(
                        .init(
                            call, .delete, "automationpolicy", "Deleted policy \(before.string("name"))",
                            before: PolicyQueries.render(before)), on: connection)
                }
                // Plugins drop what they keep for it (checks, tasks).
                host.events.publish("core.policy.deleted", ["id": .init(id)])
                return Responses.message("ok")
            },
            Route(.get, "/automation/policies/<pk>/related/", access: list, summary: "Clients, sites and agents a policy is assigned to") {
                call in
                let id = try call.intParam("pk")
                guard try await PolicyQueries.load(host.pool, id) != nil else { throw APIError.notFound("No policy with id \(id).") }
                return Responses.json(try await PolicyQueries.related(host.pool, id, scope: try call.user.scope))
            },
        ]
    }
}
