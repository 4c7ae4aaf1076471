import Foundation
import Testing
@testable import GarrisonHost

/// Notes as a Tactical RMM client uses them: added with `agent_id` in the body, read and edited
/// by `pk`, Tactical RMM's answer strings, scope by the note's agent.
@Suite struct AgentNoteTests {
    @Test func notesFollowTacticalRMMsRoutesShapesAndTexts() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (acme, acmeSite) = try await host.client("Acme", admin: admin)
            let (_, globexSite) = try await host.client("Globex", admin: admin)
            let acmeAgent = "acme-agent-0000000000000001"
            let globexAgent = "globex-agent-000000000000001"
            try await host.seedAgent(acmeAgent, hostname: "acme-pc", site: acmeSite)
            try await host.seedAgent(globexAgent, hostname: "globex-pc", site: globexSite)

            let added = try await host.request(
                .post, "/agents/notes/", as: .token(admin), json: ["agent_id": .string(acmeAgent), "note": "UPS replaced"])
            #expect(added.status == 200 && added.json == "Note added!", "\(added.text)")
            // Only a missing `note` is refused, with Tactical RMM's text; an empty one is a note.
            let missing = try await host.request(.post, "/agents/notes/", as: .token(admin), json: ["agent_id": .string(acmeAgent)])
            #expect(missing.status == 400 && missing.text.contains("Cannot add an empty note"), "\(missing.text)")
            let empty = try await host.request(
                .post, "/agents/notes/", as: .token(admin), json: ["agent_id": .string(acmeAgent), "note": ""])
            #expect(empty.status == 200, "\(empty.text)")
            let noAgent = try await host.request(.post, "/agents/notes/", as: .token(admin), json: ["note": "x"])
            #expect(noAgent.status == 400 && noAgent.text.contains("agent_id"), "\(noAgent.text)")
            try await host.request(.post, "/agents/notes/", as: .token(admin), json: ["agent_id": .string(globexAgent), "note": "globex"])

            let list = try await host.request(.get, "/agents/\(acmeAgent)/notes/", as: .token(admin)).json.arrayValue ?? []
            #expect(list.count == 2)
            let first = try #require(list.last)
            #expect(Set(first.objectValue.map { Array($0.keys) } ?? []) == ["pk", "entry_time", "note", "username", "agent_id"])
            #expect(first["note"] == "UPS replaced" && first["username"] == "admin" && first["agent_id"] == .string(acmeAgent))
            let entryTime = try #require(first["entry_time"]?.stringValue)
            #expect(entryTime.hasSuffix("Z") && entryTime.contains("T"), "\(entryTime)")
            let pk = try #require(first["pk"]?.intValue)

            let one = try await host.request(.get, "/agents/notes/\(pk)/", as: .token(admin))
            #expect(one.json["note"] == "UPS replaced")
            let edited = try await host.request(.put, "/agents/notes/\(pk)/", as: .token(admin), json: ["note": "UPS replaced in May"])
            #expect(edited.json == "Note edited!")
            #expect(try await host.request(.get, "/agents/notes/\(pk)/", as: .token(admin)).json["note"] == "UPS replaced in May")
            #expect(try await host.request(.get, "/agents/notes/", as: .token(admin)).json.arrayValue?.count == 3)

            // A role limited to Acme sees Acme's notes only; Globex's are not there at all.
            let scoped = try await host.user(
                "acme-tech", permissions: ["can_list_notes", "can_manage_notes"], clients: [acme], admin: admin)
            let visible = try await host.request(.get, "/agents/notes/", as: .token(scoped)).json.arrayValue ?? []
            #expect(visible.count == 2 && visible.allSatisfy { $0["agent_id"] == .string(acmeAgent) })
            let globexPK = try await host.server.storage.pool.query("SELECT id FROM agent_notes WHERE agent_id = $1", [globexAgent]).first!
                .int("id")
            let hidden = try await host.request(.get, "/agents/notes/\(globexPK)/", as: .token(scoped))
            #expect(hidden.status == 404 && hidden.text.contains("No Note matches the given query."), "\(hidden.text)")
            #expect(try await host.request(.delete, "/agents/notes/\(globexPK)/", as: .token(scoped)).status == 404)
            let foreign = try await host.request(
                .post, "/agents/notes/", as: .token(scoped), json: ["agent_id": .string(globexAgent), "note": "x"])
            #expect(foreign.status == 404)

            let deleted = try await host.request(.delete, "/agents/notes/\(pk)/", as: .token(scoped))
            #expect(deleted.json == "Note was deleted!")
            #expect(try await host.request(.get, "/agents/notes/\(pk)/", as: .token(admin)).status == 404)
        }
    }
}
