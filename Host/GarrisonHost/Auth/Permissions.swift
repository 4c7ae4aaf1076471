/// Tactical RMM's permission names (docs/compatibility.md §2.2). Roles carry any subset; plugin
/// routes name one of these or a plugin permission of the form `plugin:<name>:<verb>`.
public enum Permissions {
    public static let all: [String] = [
        // Agents
        "can_list_agents", "can_use_mesh", "can_uninstall_agents", "can_update_agents", "can_edit_agent",
        "can_manage_procs", "can_view_eventlogs", "can_send_cmd", "can_reboot_agents", "can_install_agents",
        "can_run_scripts", "can_run_bulk", "can_recover_agents", "can_list_agent_history", "can_send_wol",
        "can_use_registry", "can_use_terminal",
        // Notes
        "can_list_notes", "can_manage_notes",
        // Core
        "can_view_core_settings", "can_edit_core_settings", "can_do_server_maint", "can_code_sign",
        "can_run_urlactions", "can_view_customfields", "can_manage_customfields", "can_run_server_scripts",
        "can_use_webterm", "can_view_global_keystore", "can_edit_global_keystore", "can_view_schedules",
        "can_manage_schedules",
        // Checks
        "can_list_checks", "can_manage_checks", "can_run_checks",
        // Clients and sites
        "can_list_clients", "can_manage_clients", "can_list_sites", "can_manage_sites",
        "can_list_deployments", "can_manage_deployments",
        // Policies and tasks
        "can_list_automation_policies", "can_manage_automation_policies", "can_list_autotasks",
        "can_manage_autotasks", "can_run_autotasks",
        // Logs
        "can_view_auditlogs", "can_list_pendingactions", "can_manage_pendingactions", "can_view_debuglogs",
        // Scripts and alerts
        "can_list_scripts", "can_manage_scripts", "can_list_alerts", "can_manage_alerts",
        "can_list_alerttemplates", "can_manage_alerttemplates",
        // Windows, software and patches
        "can_manage_winsvcs", "can_list_software", "can_manage_software", "can_manage_winupdates",
        // Accounts
        "can_list_accounts", "can_manage_accounts", "can_list_roles", "can_manage_roles",
        "can_list_api_keys", "can_manage_api_keys",
        // Reporting
        "can_view_reports", "can_manage_reports",
    ]

    public static let known: Set<String> = Set(all)

    /// A name a route or a role may use: a Tactical RMM name, or a plugin's own permission.
    public static func isValid(_ name: String) -> Bool {
        if known.contains(name) { return true }
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0] == "plugin"
            && parts.dropFirst().allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" || $0 == "-" } }
    }
}
