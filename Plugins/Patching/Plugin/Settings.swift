/// The [settings] table of plugins.d/70-winupdate.toml; every key optional. With none set the
/// plugin runs on Tactical RMM's schedule: approvals every 8 hours, install checks hourly.
struct Settings: Decodable, Sendable {
    /// The zone of agents without a time zone of their own, and of `date_installed` in the
    /// operator JSON (Tactical RMM's core default_time_zone).
    var default_time_zone: String?
    /// false: no scheduled approvals or scans (TRMM_DISABLE_APPROVE_UPDATES_TASK).
    var approve_task: Bool?
    /// false: no scheduled installs (TRMM_DISABLE_WINUPDATES_INSTALL_TASK).
    var install_task: Bool?

    /// Seconds a Linux package scan (runscriptfull) may take.
    var linux_scan_timeout: Int?
    /// Seconds a Linux package install may take.
    var linux_install_timeout: Int?

    var defaultTimeZone: String { default_time_zone ?? "UTC" }
    var linuxScanTimeout: Int { min(max(linux_scan_timeout ?? 300, 10), 3600) }
    var linuxInstallTimeout: Int { min(max(linux_install_timeout ?? 1800, 60), 86_400) }
    var approveTask: Bool { approve_task ?? true }
    var installTask: Bool { install_task ?? true }
}
