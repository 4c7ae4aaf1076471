import JSONText

/// Tactical RMM's WinUpdatePolicy: a patch policy on an agent or on an automation policy.
public struct PatchPolicy: Sendable, Equatable, Codable {
    public var id: Int
    public var agent: Int?
    public var policy: Int?
    public var critical: String
    public var important: String
    public var moderate: String
    public var low: String
    public var other: String
    public var run_time_hour: Int
    public var run_time_frequency: String
    public var run_time_days: [Int]
    public var run_time_day: Int
    public var reboot_after_install: String
    public var reprocess_failed_inherit: Bool
    public var reprocess_failed: Bool
    public var reprocess_failed_times: Int
    public var email_if_fail: Bool

    public init(
        id: Int = 0, agent: Int? = nil, policy: Int? = nil, critical: String = "inherit", important: String = "inherit",
        moderate: String = "inherit", low: String = "inherit", other: String = "inherit", run_time_hour: Int = 3,
        run_time_frequency: String = "inherit", run_time_days: [Int] = [], run_time_day: Int = 1, reboot_after_install: String = "inherit",
        reprocess_failed_inherit: Bool = true, reprocess_failed: Bool = false, reprocess_failed_times: Int = 5, email_if_fail: Bool = false
    ) {
        self.id = id
        self.agent = agent
        self.policy = policy
        self.critical = critical
        self.important = important
        self.moderate = moderate
        self.low = low
        self.other = other
        self.run_time_hour = run_time_hour
        self.run_time_frequency = run_time_frequency
        self.run_time_days = run_time_days
        self.run_time_day = run_time_day
        self.reboot_after_install = reboot_after_install
        self.reprocess_failed_inherit = reprocess_failed_inherit
        self.reprocess_failed = reprocess_failed
        self.reprocess_failed_times = reprocess_failed_times
        self.email_if_fail = email_if_fail
    }

    public static let severityChoices = ["manual", "approve", "ignore", "inherit"]
    public static let frequencyChoices = ["daily", "monthly", "inherit"]
    public static let rebootChoices = ["never", "required", "always", "inherit"]
    public static let severityFields = ["critical", "important", "moderate", "low", "other"]

    /// The severities (as WUA names them) whose setting is exactly `approve`: `other` is the
    /// empty severity of non-security updates.
    public var approvedSeverities: [String] {
        [(critical, "Critical"), (important, "Important"), (moderate, "Moderate"), (low, "Low"), (other, "")]
            .filter { $0.0 == "approve" }.map(\.1)
    }

    /// The effective policy (docs/compatibility.md, patching): the first policy (highest
    /// precedence first) that has a patch policy, with the agent's own non-`inherit` values
    /// laid over it; the agent's own policy as it is when no policy has one.
    public static func effective(agent own: PatchPolicy, policies: [PatchPolicy]) -> PatchPolicy {
        guard var merged = policies.first else { return own }
        if own.critical != "inherit" { merged.critical = own.critical }
        if own.important != "inherit" { merged.important = own.important }
        if own.moderate != "inherit" { merged.moderate = own.moderate }
        if own.low != "inherit" { merged.low = own.low }
        if own.other != "inherit" { merged.other = own.other }
        // Tactical RMM copies hour and days but not the day of month with the frequency.
        if own.run_time_frequency != "inherit" {
            merged.run_time_frequency = own.run_time_frequency
            merged.run_time_hour = own.run_time_hour
            merged.run_time_days = own.run_time_days
        }
        if own.reboot_after_install != "inherit" { merged.reboot_after_install = own.reboot_after_install }
        if !own.reprocess_failed_inherit {
            merged.reprocess_failed = own.reprocess_failed
            merged.reprocess_failed_times = own.reprocess_failed_times
            merged.email_if_fail = own.email_if_fail
        }
        return merged
    }

    /// Whether the agent is rebooted after an install, given what it reported.
    public func rebootsAfterInstall(needsReboot: Bool) -> Bool {
        reboot_after_install == "always" || (reboot_after_install == "required" && needsReboot)
    }
}

/// A partial WinUpdatePolicy from an operator, checked field by field. Only the fields the
/// body names are set; unknown keys are ignored, as Tactical RMM's serializer does.
public struct PolicyPatch: Sendable, Equatable {
    public var values: [String: JSON] = [:]

    public init(values: [String: JSON] = [:]) { self.values = values }

    public static func parse(_ body: JSON, field prefix: String = "") throws(PatchInputError) -> PolicyPatch {
        guard case .object(let m) = body else { throw PatchInputError("The body must be a JSON object of patch policy fields.") }
        var out: [String: JSON] = [:]
        func name(_ key: String) -> String { prefix + key }
        func choice(_ key: String, _ allowed: [String]) throws(PatchInputError) {
            guard let value = m[key] else { return }
            guard let text = value.stringValue, allowed.contains(text) else {
                throw PatchInputError("\(name(key)) must be one of \(allowed.joined(separator: ", ")).")
            }
            out[key] = .string(text)
        }
        func integer(_ key: String, _ range: ClosedRange<Int>) throws(PatchInputError) {
            guard let value = m[key] else { return }
            guard let n = value.intValue, range.contains(n) else {
                throw PatchInputError("\(name(key)) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
            }
            out[key] = .number(Double(n))
        }
        func flag(_ key: String) throws(PatchInputError) {
            guard let value = m[key] else { return }
            guard let b = value.boolValue else { throw PatchInputError("\(name(key)) must be true or false.") }
            out[key] = .bool(b)
        }
        for key in PatchPolicy.severityFields { try choice(key, PatchPolicy.severityChoices) }
        try choice("run_time_frequency", PatchPolicy.frequencyChoices)
        try choice("reboot_after_install", PatchPolicy.rebootChoices)
        try integer("run_time_hour", 0...23)
        try integer("run_time_day", 1...31)
        try integer("reprocess_failed_times", 0...1000)
        try flag("reprocess_failed_inherit")
        try flag("reprocess_failed")
        try flag("email_if_fail")
        if let days = m["run_time_days"] {
            guard let list = days.arrayValue, list.count <= 7 else {
                throw PatchInputError("\(name("run_time_days")) must be a list of weekdays, 0 (Monday) to 6 (Sunday).")
            }
            var seen: [Int] = []
            for day in list {
                guard let n = day.intValue, (0...6).contains(n) else {
                    throw PatchInputError("\(name("run_time_days")) must be a list of weekdays, 0 (Monday) to 6 (Sunday).")
                }
                if !seen.contains(n) { seen.append(n) }
            }
            out["run_time_days"] = .array(seen.sorted().map { .number(Double($0)) })
        }
        return PolicyPatch(values: out)
    }
}
