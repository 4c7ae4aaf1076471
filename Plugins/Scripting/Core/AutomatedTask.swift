import Foundation
import JSONText

/// An automated task (docs/compatibility.md §2.5) for one agent: when it runs and what it runs.
public struct AutomatedTask: Sendable, Codable, Equatable {
    public enum TaskType: String, Sendable, Codable, CaseIterable {
        case daily, weekly, monthly, monthlydow, runonce, checkfailure, manual, onboarding, scheduled
    }

    public struct Action: Sendable, Codable, Equatable {
        public enum Kind: String, Sendable, Codable { case script, cmd }
        public var type: Kind
        /// script: the library script's id, its arguments and environment.
        public var script: Int?
        public var scriptArgs: [String]?
        public var envVars: [String]?
        /// cmd: the command and its shell (cmd/powershell on Windows, a path elsewhere).
        public var command: String?
        public var shell: String?
        public var timeout: Int?

        enum CodingKeys: String, CodingKey {
            case type, script, command, shell, timeout
            case scriptArgs = "script_args", envVars = "env_vars"
        }

        public init(
            type: Kind, script: Int? = nil, scriptArgs: [String]? = nil, envVars: [String]? = nil, command: String? = nil,
            shell: String? = nil, timeout: Int? = nil
        ) {
            self.type = type
            self.script = script
            self.scriptArgs = scriptArgs
            self.envVars = envVars
            self.command = command
            self.shell = shell
            self.timeout = timeout
        }
    }

    public var id: Int?
    public var agentID: String
    public var name: String
    public var enabled: Bool
    public var taskType: TaskType
    public var actions: [Action]
    public var continueOnError: Bool
    /// RFC 3339: the one run of runonce; the first day and time of day of calendar types.
    public var runTimeDate: String?
    public var expireDate: String?
    public var timezone: String?
    public var dailyInterval: Int?
    public var weeklyInterval: Int?
    /// Task Scheduler bits: Sunday = 1 ... Saturday = 64.
    public var runTimeBitWeekdays: Int?
    /// Day 1 = 1 ... day 31 = 2^30; 2^31 = the last day of the month.
    public var monthlyDaysOfMonth: Int?
    /// January = 1 ... December = 2048.
    public var monthlyMonthsOfYear: Int?
    /// First = 1, second = 2, third = 4, fourth = 8, last = 16.
    public var monthlyWeeksOfMonth: Int?
    public var randomTaskDelaySeconds: Int?
    public var runAsapAfterMissed: Bool
    /// checkfailure: the check whose failure runs it (nil: any check of the agent).
    public var assignedCheck: Int?
    public var alertSeverity: String
    public var emailAlert: Bool
    public var textAlert: Bool
    public var dashboardAlert: Bool

    enum CodingKeys: String, CodingKey {
        case id, name, enabled, actions, timezone
        case agentID = "agent_id", taskType = "task_type", continueOnError = "continue_on_error", runTimeDate = "run_time_date",
            expireDate = "expire_date", dailyInterval = "daily_interval", weeklyInterval = "weekly_interval",
            runTimeBitWeekdays = "run_time_bit_weekdays", monthlyDaysOfMonth = "monthly_days_of_month",
            monthlyMonthsOfYear = "monthly_months_of_year", monthlyWeeksOfMonth = "monthly_weeks_of_month",
            randomTaskDelaySeconds = "random_task_delay_seconds", runAsapAfterMissed = "run_asap_after_missed",
            assignedCheck = "assigned_check", alertSeverity = "alert_severity", emailAlert = "email_alert", textAlert = "text_alert",
            dashboardAlert = "dashboard_alert"
    }

    public init(agentID: String, name: String, taskType: TaskType, actions: [Action], runTimeDate: String? = nil) {
        self.agentID = agentID
        self.name = name
        self.enabled = true
        self.taskType = taskType
        self.actions = actions
        self.continueOnError = true
        self.runTimeDate = runTimeDate
        self.runAsapAfterMissed = true
        self.alertSeverity = "warning"
        self.emailAlert = false
        self.textAlert = false
        self.dashboardAlert = false
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(Int.self, forKey: .id)
        agentID = try c.decode(String.self, forKey: .agentID)
        name = try c.decode(String.self, forKey: .name)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        taskType = try c.decode(TaskType.self, forKey: .taskType)
        actions = try c.decode([Action].self, forKey: .actions)
        continueOnError = try c.decodeIfPresent(Bool.self, forKey: .continueOnError) ?? true
        runTimeDate = try c.decodeIfPresent(String.self, forKey: .runTimeDate)
        expireDate = try c.decodeIfPresent(String.self, forKey: .expireDate)
        timezone = try c.decodeIfPresent(String.self, forKey: .timezone)
        dailyInterval = try c.decodeIfPresent(Int.self, forKey: .dailyInterval)
        weeklyInterval = try c.decodeIfPresent(Int.self, forKey: .weeklyInterval)
        runTimeBitWeekdays = try c.decodeIfPresent(Int.self, forKey: .runTimeBitWeekdays)
        monthlyDaysOfMonth = try c.decodeIfPresent(Int.self, forKey: .monthlyDaysOfMonth)
        monthlyMonthsOfYear = try c.decodeIfPresent(Int.self, forKey: .monthlyMonthsOfYear)
        monthlyWeeksOfMonth = try c.decodeIfPresent(Int.self, forKey: .monthlyWeeksOfMonth)
        randomTaskDelaySeconds = try c.decodeIfPresent(Int.self, forKey: .randomTaskDelaySeconds)
        runAsapAfterMissed = try c.decodeIfPresent(Bool.self, forKey: .runAsapAfterMissed) ?? true
        assignedCheck = try c.decodeIfPresent(Int.self, forKey: .assignedCheck)
        alertSeverity = try c.decodeIfPresent(String.self, forKey: .alertSeverity) ?? "warning"
        emailAlert = try c.decodeIfPresent(Bool.self, forKey: .emailAlert) ?? false
        textAlert = try c.decodeIfPresent(Bool.self, forKey: .textAlert) ?? false
        dashboardAlert = try c.decodeIfPresent(Bool.self, forKey: .dashboardAlert) ?? false
    }

    public func validate() throws(ScriptingError) {
        if name.trimmingCharacters(in: .whitespaces).isEmpty { throw ScriptingError("A task needs a name.") }
        if actions.isEmpty { throw ScriptingError("A task needs at least one action.") }
        for (n, action) in actions.enumerated() {
            switch action.type {
            case .script: if action.script == nil { throw ScriptingError("Action \(n + 1) needs a script.") }
            case .cmd:
                if (action.command ?? "").isEmpty || (action.shell ?? "").isEmpty {
                    throw ScriptingError("Action \(n + 1) needs a command and a shell.")
                }
            }
            if let t = action.timeout, !(1...86_400).contains(t) {
                throw ScriptingError("Action \(n + 1): timeout must be between 1 and 86400 seconds.")
            }
        }
        if !["info", "warning", "error"].contains(alertSeverity) { throw ScriptingError("alert_severity must be info, warning or error.") }
        _ = try TaskSchedule.hostSchedule(self)
    }
}

/// A task's schedule in the host scheduler's form (ScheduleSpec: once, daily, weekly, monthly,
/// monthlydow). manual, checkfailure and onboarding have none: they run on demand, on a
/// check's failure, or once at enrollment.
public enum TaskSchedule {
    public static func hostSchedule(_ task: AutomatedTask) throws(ScriptingError) -> [String: JSON]? {
        let calendar: [String: JSON]
        switch task.taskType {
        case .manual, .checkfailure, .onboarding:
            return nil
        case .runonce:
            guard let at = task.runTimeDate, parts(at) != nil else { throw ScriptingError("runonce needs run_time_date (RFC 3339).") }
            return ["type": "once", "at": .string(at), "tz": .string(task.timezone ?? "UTC")]
        case .daily:
            calendar = ["type": "daily", "interval": JSON(try positive(task.dailyInterval ?? 1, "daily_interval"))]
        case .weekly, .scheduled:
            calendar = [
                "type": "weekly", "weekdays": JSON(try mask(task.runTimeBitWeekdays, bits: 7, "run_time_bit_weekdays")),
                "interval": JSON(try positive(task.weeklyInterval ?? 1, "weekly_interval")),
            ]
        case .monthly:
            let days = task.monthlyDaysOfMonth ?? 0
            let lastDay = days & (1 << 31) != 0
            let plain = days & 0x7FFF_FFFF
            guard plain != 0 || lastDay, days >= 0, days < (1 << 32) else {
                throw ScriptingError("monthly_days_of_month must name at least one day.")
            }
            var spec: [String: JSON] = [
                "type": "monthly", "last_day": .bool(lastDay),
                "months": JSON(try mask(task.monthlyMonthsOfYear ?? 4095, bits: 12, "monthly_months_of_year")),
            ]
            if plain != 0 { spec["days"] = JSON(plain) }
            calendar = spec
        case .monthlydow:
            calendar = [
                "type": "monthlydow", "weeks": JSON(try mask(task.monthlyWeeksOfMonth, bits: 5, "monthly_weeks_of_month")),
                "weekdays": JSON(try mask(task.runTimeBitWeekdays, bits: 7, "run_time_bit_weekdays")),
                "months": JSON(try mask(task.monthlyMonthsOfYear ?? 4095, bits: 12, "monthly_months_of_year")),
            ]
        }
        guard let start = task.runTimeDate, let (day, time) = parts(start) else {
            throw ScriptingError("\(task.taskType.rawValue) needs run_time_date (RFC 3339): the first day and the time of day.")
        }
        var spec = calendar
        spec["time"] = .string(time)
        spec["start"] = .string(day)
        spec["tz"] = .string(task.timezone ?? "UTC")
        spec["missed"] = task.runAsapAfterMissed ? "run_once" : "skip"
        if let expire = task.expireDate {
            guard parts(expire) != nil else { throw ScriptingError("expire_date must be RFC 3339.") }
            spec["expires_at"] = .string(expire)
        }
        if let delay = task.randomTaskDelaySeconds {
            guard delay >= 0 else { throw ScriptingError("random_task_delay_seconds must not be negative.") }
            spec["random_delay_seconds"] = JSON(delay)
        }
        return spec
    }

    /// "2026-03-01T09:30:00Z" -> ("2026-03-01", "09:30"): the wall-clock day and time.
    static func parts(_ text: String) -> (String, String)? {
        let chars = Array(text)
        guard chars.count >= 16, chars[4] == "-", chars[7] == "-", chars[10] == "T" || chars[10] == " ", chars[13] == ":",
            let h = Int(String(chars[11...12])), let m = Int(String(chars[14...15])), (0...23).contains(h), (0...59).contains(m),
            Int(String(chars[0...3])) != nil, let mo = Int(String(chars[5...6])), (1...12).contains(mo), let d = Int(String(chars[8...9])),
            (1...31).contains(d)
        else { return nil }
        return (String(chars[0...9]), String(chars[11...15]))
    }

    static func positive(_ value: Int, _ name: String) throws(ScriptingError) -> Int {
        guard (1...365).contains(value) else { throw ScriptingError("\(name) must be between 1 and 365.") }
        return value
    }

    static func mask(_ value: Int?, bits: Int, _ name: String) throws(ScriptingError) -> Int {
        guard let value, value > 0, value < (1 << bits) else {
            throw ScriptingError("\(name) must be a bitmask with at least one of its \(bits) bits set.")
        }
        return value
    }
}
