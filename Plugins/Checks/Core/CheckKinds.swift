/// The check types of Tactical RMM (`CheckType` in its constants), with the options each
/// one reads (docs/compatibility.md §2.4).
public enum CheckType: String, Codable, Sendable, CaseIterable {
    case diskspace, cpuload, memory, ping, script, winsvc, eventlog
}

/// A check result's state as Tactical RMM names it.
public enum CheckStatus: String, Codable, Sendable {
    case passing, failing, pending
}

/// `alert_severity` of a check and of a failing result.
public enum Severity: String, Codable, Sendable, CaseIterable {
    case info, warning, error
}

/// Event log check options (`EvtLogFailWhen`, `EvtLogTypes`, `EvtLogNames`).
public enum EventLogFailWhen: String, Codable, Sendable, CaseIterable {
    case contains, not_contains
}

public enum EventLogName: String, Codable, Sendable, CaseIterable {
    case Application, System, Security
}

public enum EventLogType: String, Codable, Sendable, CaseIterable {
    case INFO, WARNING, ERROR, AUDIT_SUCCESS, AUDIT_FAILURE
}
