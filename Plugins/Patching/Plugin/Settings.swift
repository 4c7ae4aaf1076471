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

    var defaultTimeZone: String { default_time_zone ?? "UTC" }
    var approveTask: Bool { approve_task ?? true }
    var installTask: Bool { install_task ?? true }
}
