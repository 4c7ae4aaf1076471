import Foundation
import Testing
@testable import GarrisonHost

/// The patching plugin's members of the agent object (register_agent_member, ABI 1.3):
/// `winupdatepolicy` and its neighbours in `GET /agents/<agent_id>/`, `has_patches_pending`
/// in the list, and `winupdatepolicy` on `PUT /agents/<agent_id>/`, checked before anything
/// of the PUT is stored.
@Suite struct PluginsPatchingAgentMemberTests {
    @Test func agentObjectCarriesThePatchMembers_andAPutWithABadPolicyStoresNothing() async throws {
        try await PluginsPatchingTests.with { w in
            let (agentID, token) = try await w.enroll(type: "workstation", hostname: "member-1")
            let detail = try await w.ok(.get, "/agents/\(agentID)/").json
            let own = try #require(detail["winupdatepolicy"]?[0], "\(detail)")
            #expect(own["run_time_days"] == [5, 6] && own["critical"] == "inherit")
            #expect(detail["effective_patch_policy"]?["id"] == own["id"])
            #expect(detail["patches_last_installed"] == .null)
            #expect(detail["hostname"] == "member-1", "the host's own members stay")

            // A bad field: 400 naming it, and neither the host's fields nor the policy change.
            for (policy, field) in [
                (["run_time_hour": 24] as JSON, "winupdatepolicy.run_time_hour"), (["critical": "sometimes"], "winupdatepolicy.critical"),
                (["run_time_days": [7]], "winupdatepolicy.run_time_days"),
            ] {
                let bad = try await w.host.request(
                    .put, "/agents/\(agentID)/", as: .token(w.admin), json: ["description": "changed", "winupdatepolicy": [policy]])
                #expect(bad.status == 400 && bad.json["detail"]?.stringValue?.hasPrefix(field) == true, "\(bad.text)")
            }
            let notAList = try await w.host.request(
                .put, "/agents/\(agentID)/", as: .token(w.admin), json: ["description": "changed", "winupdatepolicy": ["critical": "approve"]])
            #expect(notAList.status == 400 && notAList.json["detail"]?.stringValue?.hasPrefix("winupdatepolicy") == true)
            var now = try await w.ok(.get, "/agents/\(agentID)/").json
            #expect(now["description"] == "" && now["winupdatepolicy"]?[0]?["critical"] == "inherit", "nothing half-stored")

            // A good one is stored with the host's fields, and the answer shows it.
            let good = try await w.ok(
                .put, "/agents/\(agentID)/",
                ["description": "patched", "winupdatepolicy": [["critical": "approve", "run_time_hour": 5, "reboot_after_install": "always"]]])
            #expect(good.json["winupdatepolicy"]?[0]?["critical"] == "approve", "\(good.text)")
            now = try await w.ok(.get, "/agents/\(agentID)/").json
            #expect(now["description"] == "patched")
            #expect(now["winupdatepolicy"]?[0]?["run_time_hour"] == 5 && now["winupdatepolicy"]?[0]?["reboot_after_install"] == "always")
            #expect(now["effective_patch_policy"]?["critical"] == "approve")

            // The list: has_patches_pending per agent, from one read for the page.
            let (quiet, _) = try await w.enroll(hostname: "member-2")
            let scan = try await w.host.request(
                .post, "/api/v3/winupdates/", as: .token(token), json: PluginsPatchingTests.scanBody(agentID, try WUAAgent.fixture()))
            #expect(scan.status == 200, "\(scan.text)")
            let pending = try #require(try await w.updates(agentID).first { $0["installed"] == false }?["id"]?.intValue)
            try await w.ok(.put, "/winupdate/\(pending)/", ["action": "approve"])
            for path in ["/agents/", "/agents/?page=1&page_size=10"] {
                let list = try await w.ok(.get, path).json
                let rows = list.arrayValue ?? list["results"]?.arrayValue ?? []
                #expect(rows.first { $0["agent_id"]?.stringValue == agentID }?["has_patches_pending"] == true, "\(path)")
                #expect(rows.first { $0["agent_id"]?.stringValue == quiet }?["has_patches_pending"] == false, "\(path)")
                #expect(rows.allSatisfy { $0["winupdatepolicy"] == nil }, "detail members stay out of the list")
            }
            // The short form has no members.
            let short = try await w.ok(.get, "/agents/?detail=false").json.arrayValue ?? []
            #expect(short.allSatisfy { $0["has_patches_pending"] == nil })
        }
    }

    @Test func hostNamesAndPlacementsAreChecked() {
        #expect(LoadedPlugin.isValidMemberName("winupdatepolicy") && LoadedPlugin.isValidMemberName("a_1"))
        #expect(!LoadedPlugin.isValidMemberName("Hostname") && !LoadedPlugin.isValidMemberName("1a") && !LoadedPlugin.isValidMemberName(""))
        #expect(!LoadedPlugin.isValidMemberName(String(repeating: "a", count: 49)))
        let members = AgentMembers()
        struct Fake: AgentMember {
            let name: String
            var placement: AgentMemberPlacement { .detail }
            func read(agentIDs: [String], for call: Call) async -> [String: JSON]? { [:] }
            func write(agentID: String, value: JSON, store: Bool, for call: Call) async -> AgentMemberWrite { .accepted }
        }
        #expect(!members.add(owner: "p", Fake(name: "hostname")), "the host's own member")
        #expect(members.add(owner: "p", Fake(name: "extra")))
        #expect(!members.add(owner: "q", Fake(name: "extra")), "another plugin's")
        members.remove(owner: "p")
        #expect(members.add(owner: "q", Fake(name: "extra")))
    }
}
