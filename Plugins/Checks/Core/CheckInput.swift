import Foundation

/// An operator's create or edit body (`POST /checks/`, `PUT /checks/<pk>/`): every field
/// optional, applied over a definition and then validated as Tactical RMM's
/// `CheckSerializer.validate` does. A field of the wrong JSON type fails decoding (a 400).
public struct CheckInput: Decodable, Sendable {
    public var check_type: CheckType?
    public var name: String?
    public var run_interval: Int?
    public var alert_severity: Severity?
    public var email_alert: Bool?
    public var text_alert: Bool?
    public var dashboard_alert: Bool?
    public var fails_b4_alert: Int?
    public var error_threshold: Int?
    public var warning_threshold: Int?
    public var disk: String?
    public var ip: String?
    public var script: ScriptBody?
    public var script_args: [String]?
    public var env_vars: [String]?
    public var info_return_codes: [Int]?
    public var warning_return_codes: [Int]?
    public var success_return_codes: [Int]?
    public var timeout: Int?
    public var svc_name: String?
    public var svc_display_name: String?
    public var pass_if_start_pending: Bool?
    public var pass_if_svc_not_exist: Bool?
    public var restart_if_stopped: Bool?
    public var svc_policy_mode: String?
    public var log_name: EventLogName?
    public var event_id: Int?
    public var event_id_is_wildcard: Bool?
    public var event_type: EventLogType?
    public var event_source: String?
    public var event_message: String?
    public var fail_when: EventLogFailWhen?
    public var search_last_days: Int?
    public var number_of_events_b4_alert: Int?
    public var assigned_tasks: [Int]?

    public static let shells: Set<String> = ["powershell", "cmd", "python", "shell", "nushell", "deno"]

    /// `self` over `check`.
    public func applied(to check: CheckDefinition) -> CheckDefinition {
        var c = check
        func set<T>(_ keyPath: WritableKeyPath<CheckDefinition, T>, _ value: T?) { if let value { c[keyPath: keyPath] = value } }
        func setOptional<T>(_ keyPath: WritableKeyPath<CheckDefinition, T?>, _ value: T?) { if let value { c[keyPath: keyPath] = value } }
        set(\.name, name); set(\.run_interval, run_interval); set(\.alert_severity, alert_severity)
        set(\.email_alert, email_alert); set(\.text_alert, text_alert); set(\.dashboard_alert, dashboard_alert)
        set(\.fails_b4_alert, fails_b4_alert); set(\.error_threshold, error_threshold); set(\.warning_threshold, warning_threshold)
        setOptional(\.disk, disk); setOptional(\.ip, ip); setOptional(\.script, script)
        set(\.script_args, script_args); set(\.env_vars, env_vars)
        set(\.info_return_codes, info_return_codes); set(\.warning_return_codes, warning_return_codes);
        set(\.success_return_codes, success_return_codes)
        setOptional(\.timeout, timeout); setOptional(\.svc_name, svc_name); setOptional(\.svc_display_name, svc_display_name)
        set(\.pass_if_start_pending, pass_if_start_pending); set(\.pass_if_svc_not_exist, pass_if_svc_not_exist);
        set(\.restart_if_stopped, restart_if_stopped)
        setOptional(\.svc_policy_mode, svc_policy_mode); setOptional(\.log_name, log_name); setOptional(\.event_id, event_id)
        set(\.event_id_is_wildcard, event_id_is_wildcard); setOptional(\.event_type, event_type); setOptional(\.event_source, event_source)
        setOptional(\.event_message, event_message); setOptional(\.fail_when, fail_when); setOptional(\.search_last_days, search_last_days)
        set(\.number_of_events_b4_alert, number_of_events_b4_alert); set(\.assigned_tasks, assigned_tasks)
        // Defaults the agent needs: a script check without a timeout would get 0 seconds.
        if c.check_type == .script && (c.timeout ?? 0) <= 0 { c.timeout = 120 }
        if c.check_type == .eventlog && c.fail_when == nil { c.fail_when = .contains }
        if c.check_type == .winsvc && (c.svc_display_name ?? "").isEmpty { c.svc_display_name = c.svc_name }
        if c.name.isEmpty { c.name = c.check_type == .script ? (c.script?.name ?? "") : c.readableDescription }
        return c
    }

    /// The first problem with `check`, worded as Tactical RMM words it, or nil.
    public static func problem(_ check: CheckDefinition) -> String? {
        if check.fails_b4_alert < 1 { return "fails_b4_alert must be 1 or more" }
        if check.run_interval < 0 { return "run_interval must not be negative" }
        if let bounds = outOfBounds(check) { return bounds }
        let w = check.warning_threshold, e = check.error_threshold
        switch check.check_type {
        case .diskspace:
            if (check.disk ?? "").isEmpty { return "A disk must be set" }
            if !(0...99).contains(w) || !(0...99).contains(e) { return "Thresholds must be between 0 and 99" }
            if w == 0 && e == 0 { return "Warning threshold or Error Threshold must be set" }
            if w > 0 && e > 0 && w < e { return "Warning threshold must be greater than Error Threshold" }
        case .cpuload, .memory:
            if !(0...99).contains(w) || !(0...99).contains(e) { return "Thresholds must be between 0 and 99" }
            if w == 0 && e == 0 { return "Warning threshold or Error Threshold must be set" }
            if w > 0 && e > 0 && w > e { return "Warning threshold must be less than Error Threshold" }
        case .ping:
            if (check.ip ?? "").trimmingCharacters(in: .whitespaces).isEmpty { return "Hostname or IP must be set" }
        case .script:
            guard let script = check.script else { return "A script must be set" }
            if !shells.contains(script.shell) { return "Unknown shell \(script.shell)" }
            if let bad = check.env_vars.first(where: { !$0.contains("=") }) { return "Environment variable \(bad) must be NAME=value" }
        case .winsvc:
            if (check.svc_name ?? "").isEmpty { return "A service name must be set" }
        case .eventlog:
            if check.log_name == nil { return "log_name must be Application, System or Security" }
            if check.event_id == nil && !check.event_id_is_wildcard { return "An event ID must be set, or event_id_is_wildcard" }
            if check.number_of_events_b4_alert < 1 { return "number_of_events_b4_alert must be 1 or more" }
            if let days = check.search_last_days, days < 0 { return "search_last_days must not be negative" }
        }
        return nil
    }

    /// Every integer an operator sends is bounded before it is stored (32-bit columns) or sent
    /// to an agent, so neither PostgreSQL nor arithmetic on it can fail.
    static func outOfBounds(_ check: CheckDefinition) -> String? {
        let int32 = Int(Int32.min)...Int(Int32.max)
        let fields: [(String, Int?, ClosedRange<Int>)] = [
            ("run_interval", check.run_interval, 0...2_592_000), ("fails_b4_alert", check.fails_b4_alert, 1...10_000),
            ("error_threshold", check.error_threshold, int32), ("warning_threshold", check.warning_threshold, int32),
            ("timeout", check.timeout, 0...86_400), ("event_id", check.event_id, 0...Int(Int32.max)),
            ("search_last_days", check.search_last_days, 0...3650),
            ("number_of_events_b4_alert", check.number_of_events_b4_alert, 1...1_000_000),
        ]
        for (name, value, range) in fields {
            if let value, !range.contains(value) { return "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)" }
        }
        for (name, codes) in [
            ("info_return_codes", check.info_return_codes), ("warning_return_codes", check.warning_return_codes),
            ("success_return_codes", check.success_return_codes),
        ] {
            if codes.contains(where: { !int32.contains($0) }) {
                return "\(name) must hold whole numbers from \(int32.lowerBound) to \(int32.upperBound)"
            }
        }
        return nil
    }

    /// Tactical RMM's one-per-owner rule for new disk, cpuload and memory checks.
    public static func duplicate(_ check: CheckDefinition, existing: [CheckDefinition]) -> String? {
        switch check.check_type {
        case .diskspace:
            if existing.contains(where: { $0.check_type == .diskspace && $0.disk == check.disk && $0.id != check.id }) {
                return "A disk check for Drive \(check.disk ?? "") already exists!"
            }
        case .cpuload, .memory:
            if existing.contains(where: { $0.check_type == check.check_type && $0.id != check.id }) {
                return "A \(check.check_type.rawValue) check for this agent already exists"
            }
        default: break
        }
        return nil
    }
}
