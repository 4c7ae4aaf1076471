/// One check as stored and as the operator API shows it: the options shared by every type
/// and the type-specific ones (null or empty where a type has none). Keys are Tactical RMM's.
public struct CheckDefinition: Codable, Sendable, Equatable {
    public var id: Int
    /// The agent's agent_id for an agent check; nil for a policy check.
    public var agent_id: String?
    /// The agent's numeric id (Tactical RMM's `agent` field), kept with agent checks.
    public var agent_pk: Int?
    /// The policy's id for a policy check; nil for an agent check.
    public var policy_id: Int?
    public var check_type: CheckType
    public var name: String
    public var run_interval: Int
    public var alert_severity: Severity
    public var email_alert: Bool
    public var text_alert: Bool
    public var dashboard_alert: Bool
    public var fails_b4_alert: Int
    public var error_threshold: Int
    public var warning_threshold: Int
    public var disk: String?
    public var ip: String?
    public var script: ScriptBody?
    public var script_args: [String]
    public var env_vars: [String]
    public var info_return_codes: [Int]
    public var warning_return_codes: [Int]
    public var success_return_codes: [Int]
    public var timeout: Int?
    public var svc_name: String?
    public var svc_display_name: String?
    public var pass_if_start_pending: Bool
    public var pass_if_svc_not_exist: Bool
    public var restart_if_stopped: Bool
    public var svc_policy_mode: String?
    public var log_name: EventLogName?
    public var event_id: Int?
    public var event_id_is_wildcard: Bool
    public var event_type: EventLogType?
    public var event_source: String?
    public var event_message: String?
    public var fail_when: EventLogFailWhen?
    public var search_last_days: Int?
    public var number_of_events_b4_alert: Int
    /// Task ids run on the agent (`runtask`) after each failing result.
    public var assigned_tasks: [Int]

    public init(id: Int = 0, checkType: CheckType) {
        self.id = id
        check_type = checkType
        name = ""
        run_interval = 0
        alert_severity = .warning
        email_alert = false
        text_alert = false
        dashboard_alert = false
        fails_b4_alert = 1
        error_threshold = 0
        warning_threshold = 0
        script_args = []
        env_vars = []
        info_return_codes = []
        warning_return_codes = []
        success_return_codes = []
        pass_if_start_pending = false
        pass_if_svc_not_exist = false
        restart_if_stopped = false
        event_id_is_wildcard = false
        number_of_events_b4_alert = 1
        assigned_tasks = []
    }

    /// Tactical RMM's `readable_desc`, used in operator messages.
    public var readableDescription: String {
        switch check_type {
        case .diskspace: return "Disk Space Drive \(disk ?? "")"
        case .cpuload: return "CPU Load"
        case .memory: return "Memory"
        case .ping: return "Ping \(name)"
        case .script: return "Script check \(script?.name ?? name)"
        case .winsvc: return "Service Check - \(svc_display_name ?? svc_name ?? "")"
        case .eventlog: return "Event Log Check - \(name)"
        }
    }
}

/// The script a script check runs, carried inline with the check (code, shell and the
/// defaults the agent reads).
public struct ScriptBody: Codable, Sendable, Equatable {
    public var name: String
    public var code: String
    public var shell: String
    public var run_as_user: Bool
    public var env_vars: [String]
    public var script_hash: String

    public init(name: String = "", code: String, shell: String, runAsUser: Bool = false, envVars: [String] = [], scriptHash: String = "") {
        self.name = name
        self.code = code
        self.shell = shell
        self.run_as_user = runAsUser
        self.env_vars = envVars
        self.script_hash = scriptHash
    }

    enum CodingKeys: String, CodingKey { case name, code, shell, run_as_user, env_vars, script_hash }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        code = try c.decode(String.self, forKey: .code)
        shell = try c.decode(String.self, forKey: .shell)
        run_as_user = try c.decodeIfPresent(Bool.self, forKey: .run_as_user) ?? false
        env_vars = try c.decodeIfPresent([String].self, forKey: .env_vars) ?? []
        script_hash = try c.decodeIfPresent(String.self, forKey: .script_hash) ?? ""
    }
}
