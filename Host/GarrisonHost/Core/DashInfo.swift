import Foundation

/// `GET /core/dashinfo/`, which Tactical RMM's dashboard reads when it mounts and every few
/// minutes after: the caller's preferences (Accounts/Users/UserUI.swift) and the server's
/// flags. Garrison does not ask GitHub for the newest release (`latest_trmm_ver` is its own
/// version), has no server scripts, web terminal, OpenAI integration or single sign-on, and
/// its core settings have no date format, so those answers are fixed.
enum DashInfo {
    static let runCommandPlaceholders: JSON = [
        "cmd": "rmdir /S /Q C:\\Windows\\System32", "powershell": "Remove-Item -Recurse -Force C:\\Windows\\System32",
        "shell": "rm -rf --no-preserve-root /",
    ]

    static func render(ui stored: JSON?, settings: [String: JSON], version: String) -> JSON {
        let ui = UserUI.effective(stored)
        var info: [String: JSON] = [
            "trmm_version": .string(version), "latest_trmm_ver": .string(version),
            "dbl_click_action": ui["agent_dblclick_action"] ?? "editagent",
            "hosted": false, "token_is_expired": false,
            "default_date_format": "MMM-DD-YYYY - HH:mm", "open_ai_integration_enabled": false,
            "run_cmd_placeholder_text": runCommandPlaceholders,
            "server_scripts_enabled": false, "web_terminal_enabled": false,
            "block_local_user_logon": settings["block_local_user_logon"] ?? false, "sso_enabled": false,
        ]
        for key in [
            "dark_mode", "show_community_scripts", "clear_search_when_switching", "default_agent_tbl_tab", "client_tree_sort", "url_action",
            "client_tree_splitter", "loading_bar_color", "dash_info_color", "dash_positive_color", "dash_negative_color",
            "dash_warning_color", "date_format",
        ] {
            info[key] = ui[key] ?? .null
        }
        return .object(info)
    }
}
