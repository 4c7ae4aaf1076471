import Foundation
import Testing
@testable import GarrisonHost

/// The dashboard's preferences (Accounts/Users/UserUI.swift): `GET /core/dashinfo/` with
/// Tactical RMM's defaults, `PATCH /accounts/users/ui/` changing only the caller's own and only
/// the fields sent, bad values refused by name with nothing changed, and installer tokens
/// refused (Tactical RMM answers its installer users 400 `""` and 403; Garrison's installer
/// tokens are limited to enrollment, so both are 403).
@Suite struct UserUITests {
    @Test func dashinfo_startsFromTacticalRMMsDefaults_andAPatchChangesOnlyTheCallersOwnFields() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let other = try await host.user("ui-other", permissions: [], admin: admin)
            let initial = try await host.request(.get, "/core/dashinfo/", as: .token(admin))
            #expect(initial.status == 200, "\(initial.text)")
            let info = initial.json
            #expect(info["dark_mode"] == true && info["show_community_scripts"] == true && info["clear_search_when_switching"] == true)
            #expect(info["dbl_click_action"] == "editagent" && info["default_agent_tbl_tab"] == "mixed" && info["client_tree_sort"] == "alphafail")
            #expect(info["client_tree_splitter"] == 11 && info["url_action"] == .null && info["date_format"] == .null)
            #expect(info["loading_bar_color"] == "red" && info["dash_warning_color"] == "warning")
            #expect(info["default_date_format"] == "MMM-DD-YYYY - HH:mm" && info["hosted"] == false && info["sso_enabled"] == false)
            #expect(info["run_cmd_placeholder_text"]?["shell"] == "rm -rf --no-preserve-root /")
            #expect(info["trmm_version"]?.stringValue?.isEmpty == false)

            let changed = try await host.request(
                .patch, "/accounts/users/ui/", as: .token(admin),
                json: ["dark_mode": false, "agent_dblclick_action": "takecontrol", "client_tree_splitter": 20, "date_format": "YYYY-MM-DD"])
            #expect(changed.status == 200 && changed.json == "ok", "\(changed.text)")
            let mine = try await host.request(.get, "/core/dashinfo/", as: .token(admin)).json
            #expect(mine["dark_mode"] == false && mine["dbl_click_action"] == "takecontrol" && mine["client_tree_splitter"] == 20)
            #expect(mine["date_format"] == "YYYY-MM-DD" && mine["show_community_scripts"] == true, "fields not sent keep their value")
            // A second patch keeps the first one's fields.
            #expect(try await host.request(.patch, "/accounts/users/ui/", as: .token(admin), json: ["url_action": 3]).status == 200)
            let again = try await host.request(.get, "/core/dashinfo/", as: .token(admin)).json
            #expect(again["url_action"] == 3 && again["dark_mode"] == false)
            // Another operator's preferences are untouched.
            let theirs = try await host.request(.get, "/core/dashinfo/", as: .token(other)).json
            #expect(theirs["dark_mode"] == true && theirs["dbl_click_action"] == "editagent")
            #expect(try await host.request(.get, "/core/dashinfo/").status == 401)
        }
    }

    @Test func badPreferences_areRefusedByName_andChangeNothing() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            for (body, field) in [
                (["dark_mode": "no"] as JSON, "dark_mode"), (["agent_dblclick_action": "explode"], "agent_dblclick_action"),
                (["client_tree_splitter": -1], "client_tree_splitter"), (["client_tree_splitter": 1.5], "client_tree_splitter"),
                (["loading_bar_color": .string(String(repeating: "r", count: 256))], "loading_bar_color"),
                (["loading_bar_color": .null], "loading_bar_color"), (["url_action": "chat"], "url_action"),
                (["date_format": .string(String(repeating: "Y", count: 31))], "date_format"), (["colour": "red"], "colour"),
                // One bad field refuses the whole patch: the good one is not kept either.
                (["dark_mode": false, "block_dashboard_login": "yes"], "block_dashboard_login"),
            ] {
                let refused = try await host.request(.patch, "/accounts/users/ui/", as: .token(admin), json: body)
                #expect(refused.status == 400 && refused.json["detail"]?.stringValue?.hasPrefix(field) == true, "\(body): \(refused.text)")
            }
            let info = try await host.request(.get, "/core/dashinfo/", as: .token(admin)).json
            #expect(info["dark_mode"] == true && info["client_tree_splitter"] == 11 && info["loading_bar_color"] == "red")
        }
    }

    @Test func installerTokens_areRefused() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (client, site) = try await host.client("UI", admin: admin)
            let made = try await host.request(
                .post, "/agents/installer/", as: .token(admin),
                json: [
                    "installMethod": "manual", "client": .init(client), "site": .init(site), "expires": 2, "agenttype": "workstation",
                    "goarch": "amd64", "plat": "linux",
                ])
            let token = try #require(made.json["token"]?.stringValue, "\(made.text)")
            let info = try await host.request(.get, "/core/dashinfo/", as: .token(token))
            #expect(info.status == 403, "\(info.status) \(info.text)")
            #expect(try await host.request(.patch, "/accounts/users/ui/", as: .token(token), json: ["dark_mode": false]).status == 403)
        }
    }
}
