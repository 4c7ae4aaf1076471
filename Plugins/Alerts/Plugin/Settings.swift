/// The [settings] table of plugins.d/60-alerts.toml; every key optional. Tactical RMM keeps
/// the first two in its core settings; the resolved-mail switches stand in for an alert
/// template's when no template applies.
struct Settings: Decodable, Sendable {
    /// E-mail about info alerts (Tactical RMM's notify_on_info_alerts, default off).
    var notify_on_info_alerts: Bool?
    /// E-mail about warning alerts (notify_on_warning_alerts, default on).
    var notify_on_warning_alerts: Bool?
    /// E-mail when a check (task) alert is resolved (a template's check_email_on_resolved /
    /// task_email_on_resolved, default off). Availability alerts follow the agent's
    /// overdue_email_alert, as in Tactical RMM.
    var check_email_on_resolved: Bool?
    var task_email_on_resolved: Bool?
    /// Seconds between sweeps that publish alert.notify events still unpublished.
    var notify_sweep_seconds: Int?
    /// Seconds between runs of the periodic re-notification job (alert.renotify).
    var renotify_sweep_seconds: Int?

    var notifyInfo: Bool { notify_on_info_alerts ?? false }
    var notifyWarning: Bool { notify_on_warning_alerts ?? true }
    var checkEmailOnResolved: Bool { check_email_on_resolved ?? false }
    var taskEmailOnResolved: Bool { task_email_on_resolved ?? false }
    /// Tactical RMM's global gates: notices (and URL actions) about info alerts only with
    /// notify_on_info_alerts, about warnings only with notify_on_warning_alerts.
    func gate(_ severity: String) -> Bool {
        switch severity {
        case "info": return notifyInfo
        case "warning": return notifyWarning
        default: return true
        }
    }
    var renotifySweepSeconds: Int { min(max(renotify_sweep_seconds ?? 3600, 1), 86_400) }
    var notifySweepSeconds: Int { min(max(notify_sweep_seconds ?? 10, 1), 3600) }
}
