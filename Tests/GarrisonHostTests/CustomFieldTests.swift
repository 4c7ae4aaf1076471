import Foundation
import Testing
@testable import GarrisonHost

/// Tactical RMM's custom fields: definitions under /core/customfields/, values written as its
/// CFInput rows and answered as its CFValue rows on clients, sites and agents, while scripts
/// keep reading them by name.
@Suite struct CustomFieldTests {
    @Test func definitionsAndValuesFollowTacticalRMMsShapes() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (acme, site) = try await host.client("Acme", admin: admin)
            try await host.seedAgent("cf-agent-1", hostname: "pc-1", site: site)
            func field(_ body: JSON) async throws -> TestHost.Reply {
                try await host.request(.post, "/core/customfields/", as: .token(admin), json: body)
            }
            #expect(try await field(["model": "agent", "name": "Rack", "type": "text"]).json == "ok")
            #expect(try await field(["model": "agent", "name": "Backup", "type": "checkbox", "default_value_bool": true]).json == "ok")
            #expect(try await field(["model": "agent", "name": "Roles", "type": "multiple", "options": ["web", "db"]]).json == "ok")
            #expect(
                try await field(["model": "client", "name": "Contract", "type": "single", "options": ["gold", "silver"]]).json == "ok")
            let duplicate = try await field(["model": "agent", "name": "Rack"])
            #expect(
                duplicate.status == 400 && duplicate.text.contains("The fields model, name must make a unique set."), "\(duplicate.text)")
            #expect(try await field(["model": "printer", "name": "x"]).status == 400)
            #expect(try await field(["model": "agent", "name": "x", "type": "color"]).status == 400)
            #expect(try await field(["name": "x"]).status == 400)

            let agentFields = try await host.request(.get, "/core/customfields/?model=agent", as: .token(admin)).json.arrayValue ?? []
            #expect(agentFields.compactMap { $0["name"]?.stringValue } == ["Rack", "Backup", "Roles"])
            let keys = Set(agentFields.first?.objectValue.map { Array($0.keys) } ?? [])
            #expect(
                keys.isSuperset(of: [
                    "id", "model", "type", "name", "order", "options", "required", "default_value_string", "default_value_bool",
                    "default_values_multiple", "hide_in_ui", "hide_in_summary", "created_by", "created_time", "modified_by",
                    "modified_time",
                ]))
            let rack = try #require(agentFields.first?["id"]?.intValue)
            let backup = try #require(agentFields[1]["id"]?.intValue)
            let roles = try #require(agentFields[2]["id"]?.intValue)
            let byPatch = try await host.request(.patch, "/core/customfields/", as: .token(admin), json: ["model": "client"])
            #expect(byPatch.json.arrayValue?.map { $0["name"] } == ["Contract"])
            #expect(
                try await host.request(.patch, "/core/customfields/", as: .token(admin), json: [:]).text.contains("The request was invalid")
            )

            // Values in Tactical RMM's CFInput rows, answered as CFValue rows.
            let put = try await host.request(
                .put, "/agents/cf-agent-1/", as: .token(admin),
                json: [
                    "custom_fields": [
                        ["field": .init(rack), "string_value": "R 7"], ["field": .init(backup), "bool_value": false],
                        ["field": .init(roles), "multiple_value": ["web"]],
                    ]
                ])
            #expect(put.status == 200, "\(put.text)")
            let detail = try await host.request(.get, "/agents/cf-agent-1/", as: .token(admin)).json
            let agentPK = try #require(detail["id"]?.intValue)
            let values = detail["custom_fields"]?.arrayValue ?? []
            #expect(values.count == 3, "\(detail["custom_fields"] ?? .null)")
            #expect(values.contains(["id": .init(rack), "field": .init(rack), "agent": .init(agentPK), "value": "R 7"]))
            #expect(values.contains(["id": .init(backup), "field": .init(backup), "agent": .init(agentPK), "value": false]))
            #expect(values.contains(["id": .init(roles), "field": .init(roles), "agent": .init(agentPK), "value": ["web"]]))
            // Scripts still read them by name.
            let stored = try await host.server.storage.pool.query(
                "SELECT custom_fields->>'Rack' AS v FROM agents WHERE agent_id = 'cf-agent-1'")
            #expect(stored.first?.string("v") == "R 7")
            // A row for another model's field, or no field at all, is refused.
            let contract = try #require(byPatch.json.arrayValue?.first?["id"]?.intValue)
            let wrongModel = try await host.request(
                .put, "/agents/cf-agent-1/", as: .token(admin),
                json: ["custom_fields": [["field": .init(contract), "string_value": "gold"]]])
            #expect(wrongModel.status == 400 && wrongModel.text.contains("field"), "\(wrongModel.text)")

            let client = try await host.request(
                .put, "/clients/\(acme)/", as: .token(admin),
                json: ["client": ["name": "Acme"], "custom_fields": [["field": .init(contract), "string_value": "gold"]]])
            #expect(client.status == 200, "\(client.text)")
            let acmeJSON = try await host.request(.get, "/clients/\(acme)/", as: .token(admin)).json
            #expect(
                acmeJSON["custom_fields"] == [["id": .init(contract), "field": .init(contract), "client": .init(acme), "value": "gold"]])
            #expect(acmeJSON["sites"]?[0]?["custom_fields"] == [])

            // A rename carries the values; a delete removes them.
            #expect(
                try await host.request(.put, "/core/customfields/\(rack)/", as: .token(admin), json: ["name": "Rack position"]).json == "ok"
            )
            let renamed = try await host.server.storage.pool.query(
                "SELECT custom_fields->>'Rack position' AS v FROM agents WHERE agent_id = 'cf-agent-1'")
            #expect(renamed.first?.string("v") == "R 7")
            #expect(try await host.request(.delete, "/core/customfields/\(rack)/", as: .token(admin)).json == "ok")
            let gone = try await host.server.storage.pool.query(
                "SELECT custom_fields ? 'Rack position' AS v FROM agents WHERE agent_id = 'cf-agent-1'")
            #expect(gone.first?.bool("v") == false)
            let missing = try await host.request(.get, "/core/customfields/\(rack)/", as: .token(admin))
            #expect(missing.status == 404 && missing.text.contains("No CustomField matches the given query."))

            // Definitions belong to every client: a limited role reads them but does not change them.
            let scoped = try await host.user(
                "acme-admin", permissions: ["can_view_customfields", "can_manage_customfields"], clients: [acme], admin: admin)
            #expect(try await host.request(.get, "/core/customfields/", as: .token(scoped)).status == 200)
            #expect(
                try await host.request(.post, "/core/customfields/", as: .token(scoped), json: ["model": "agent", "name": "Mine"]).status
                    == 403)
        }
    }
}
