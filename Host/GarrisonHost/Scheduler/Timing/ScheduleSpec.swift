import Foundation

/// When a schedule runs: its timing plus start, expiry, random delay and what to do about a
/// start missed while no host was running. Parsed from JSON (the API's and the ABI's form):
///
///     {"type": "interval", "seconds": 150}
///     {"type": "cron", "expr": "*/5 * * * *", "tz": "Europe/Berlin"}
///     {"type": "once", "at": "2026-12-01T10:00:00Z"}
///     {"type": "daily", "interval": 2, "time": "09:30", "start": "2026-01-01"}
///     {"type": "weekly", "weekdays": 42, "interval": 1, "time": "09:30"}
///     {"type": "monthly", "days": 1, "last_day": true, "months": 4095, "time": "23:00"}
///     {"type": "monthlydow", "weeks": 16, "weekdays": 32, "months": 4095, "time": "18:00"}
///
/// with optional "tz", "starts_at", "expires_at", "random_delay_seconds" and
/// "missed": "run_once" (default: one catch-up run) or "skip".
public struct ScheduleSpec: Sendable, Equatable {
    public enum Timing: Sendable, Equatable {
        case once(Date)
        case interval(seconds: Int)
        case calendar(DayRule, minutesOfDay: [Int], zone: TimeZone)
    }

    public enum MissedStart: String, Sendable { case runOnce = "run_once", skip }

    public var timing: Timing
    public var startsAt: Date?
    public var expiresAt: Date?
    public var randomDelaySeconds = 0
    public var missed: MissedStart = .runOnce

    public init(timing: Timing, startsAt: Date? = nil, expiresAt: Date? = nil, randomDelaySeconds: Int = 0, missed: MissedStart = .runOnce)
    {
        self.timing = timing
        self.startsAt = startsAt
        self.expiresAt = expiresAt
        self.randomDelaySeconds = randomDelaySeconds
        self.missed = missed
    }

    /// The first run strictly after `instant`, or nil when the schedule has no more runs.
    /// `anchor` is the moment interval schedules count from (their creation, or starts_at).
    public func next(after instant: Date, anchor: Date) -> Date? {
        let from = max(instant, (startsAt ?? .distantPast).addingTimeInterval(-0.001))
        let candidate: Date?
        switch timing {
        case .once(let at):
            candidate = at > instant ? at : nil
        case .interval(let seconds):
            let origin = startsAt ?? anchor
            let elapsed = from.timeIntervalSince(origin)
            let steps = elapsed < 0 ? 0 : floor(elapsed / Double(seconds)) + 1
            var next = origin.addingTimeInterval(steps * Double(seconds))
            // Times are stored to the microsecond: a step that lands within a millisecond of
            // `instant` (floating-point rounding of the anchor) would read back as already due.
            if next.timeIntervalSince(instant) < 0.001 { next = next.addingTimeInterval(Double(seconds)) }
            candidate = next
        case .calendar(let rule, let minutes, let zone):
            candidate = Self.nextCalendar(after: from, rule: rule, minutes: minutes, zone: zone)
        }
        guard let candidate else { return nil }
        if let expiresAt, candidate > expiresAt { return nil }
        return candidate
    }

    private static func nextCalendar(after instant: Date, rule: DayRule, minutes: [Int], zone: TimeZone) -> Date? {
        guard !minutes.isEmpty else { return nil }
        var day = WallClock.local(instant, in: zone).day.adding(days: -1)
        // Five years covers every shape (monthly on the 29th of February needs four).
        for _ in 0..<(366 * 5) {
            if rule.matches(day) {
                for minute in minutes {
                    let at = WallClock.instant(day, hour: minute / 60, minute: minute % 60, in: zone)
                    if at > instant { return at }
                }
            }
            day = day.adding(days: 1)
        }
        return nil
    }
}

extension ScheduleSpec {
    public static func parse(_ json: JSON) throws(ScheduleSpecError) -> ScheduleSpec {
        guard let fields = json.objectValue else { throw .init("a schedule must be a JSON object with a \"type\"") }
        let reader = SpecReader(fields: fields)
        let zone = try reader.zone()
        let timing: Timing
        switch fields["type"]?.stringValue {
        case "once":
            timing = .once(try reader.date("at", required: true)!)
        case "interval":
            let seconds = try reader.int("seconds", default: nil)
            guard seconds >= 1 else { throw .init("\"seconds\" must be at least 1") }
            timing = .interval(seconds: seconds)
        case "cron":
            let expression: CronExpression
            do { expression = try CronExpression(try reader.string("expr")) } catch { throw .init("bad cron expression: \(error)") }
            timing = .calendar(.cron(expression), minutesOfDay: expression.timesOfDay, zone: zone)
        case "daily":
            timing = .calendar(
                .everyNDays(interval: try reader.positive("interval", default: 1), anchor: try reader.day("start")),
                minutesOfDay: try reader.times(), zone: zone)
        case "weekly":
            timing = .calendar(
                .weekly(
                    weekdays: try reader.mask("weekdays", bits: 7), interval: try reader.positive("interval", default: 1),
                    anchor: try reader.day("start")),
                minutesOfDay: try reader.times(), zone: zone)
        case "monthly":
            let lastDay = fields["last_day"]?.boolValue ?? false
            let days = fields["days"] == nil && lastDay ? 0 : try reader.mask("days", bits: 31, allowZero: lastDay)
            timing = .calendar(
                .monthly(days: days, lastDay: lastDay, months: try reader.mask("months", bits: 12, default: 4095)),
                minutesOfDay: try reader.times(), zone: zone)
        case "monthlydow":
            timing = .calendar(
                .monthlyDayOfWeek(
                    weeks: try reader.mask("weeks", bits: 5), weekdays: try reader.mask("weekdays", bits: 7),
                    months: try reader.mask("months", bits: 12, default: 4095)),
                minutesOfDay: try reader.times(), zone: zone)
        case let other:
            throw .init(
                "unknown schedule type \(other.map { "'\($0)'" } ?? "(missing)"); use once, interval, cron, daily, weekly, monthly or monthlydow"
            )
        }
        var spec = ScheduleSpec(timing: timing)
        spec.startsAt = try reader.date("starts_at", required: false)
        spec.expiresAt = try reader.date("expires_at", required: false)
        spec.randomDelaySeconds = try reader.int("random_delay_seconds", default: 0)
        guard spec.randomDelaySeconds >= 0 else { throw .init("\"random_delay_seconds\" must not be negative") }
        if let missed = fields["missed"] {
            guard let value = missed.stringValue.flatMap(MissedStart.init(rawValue:)) else {
                throw .init("\"missed\" must be \"run_once\" or \"skip\"")
            }
            spec.missed = value
        }
        if let start = spec.startsAt, let end = spec.expiresAt, end <= start { throw .init("\"expires_at\" must be after \"starts_at\"") }
        return spec
    }
}

public struct ScheduleSpecError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Field access with errors that name the field.
private struct SpecReader {
    let fields: [String: JSON]

    func string(_ key: String) throws(ScheduleSpecError) -> String {
        guard let value = fields[key]?.stringValue else { throw .init("\"\(key)\" must be a string") }
        return value
    }

    func int(_ key: String, default fallback: Int?) throws(ScheduleSpecError) -> Int {
        guard let value = fields[key] else {
            if let fallback { return fallback }
            throw .init("\"\(key)\" is required")
        }
        guard let number = value.intValue else { throw .init("\"\(key)\" must be a whole number") }
        return number
    }

    func positive(_ key: String, default fallback: Int) throws(ScheduleSpecError) -> Int {
        let value = try int(key, default: fallback)
        guard value >= 1 else { throw .init("\"\(key)\" must be at least 1") }
        return value
    }

    func mask(_ key: String, bits: Int, default fallback: Int? = nil, allowZero: Bool = false) throws(ScheduleSpecError) -> Int {
        let value = try int(key, default: fallback)
        guard value >= (allowZero ? 0 : 1), value < (1 << bits) else {
            throw .init("\"\(key)\" must be a bitmask of \(bits) bits with at least one bit set")
        }
        return value
    }

    func zone() throws(ScheduleSpecError) -> TimeZone {
        guard let name = fields["tz"]?.stringValue else { return TimeZone(identifier: "UTC")! }
        guard let zone = TimeZone(identifier: name) else {
            throw .init("unknown time zone '\(name)' (use an IANA name like Europe/Berlin)")
        }
        return zone
    }

    func date(_ key: String, required: Bool) throws(ScheduleSpecError) -> Date? {
        guard let text = fields[key]?.stringValue else {
            if required { throw .init("\"\(key)\" is required (an ISO 8601 date-time)") }
            if fields[key] != nil, fields[key] != .null { throw .init("\"\(key)\" must be an ISO 8601 date-time") }
            return nil
        }
        guard let date = ISO8601Parsing.date(text) else {
            throw .init("\"\(key)\" must be an ISO 8601 date-time such as 2026-12-01T10:00:00Z")
        }
        return date
    }

    func day(_ key: String) throws(ScheduleSpecError) -> LocalDay {
        guard let text = fields[key]?.stringValue else { return LocalDay(year: 2000, month: 1, day: 2) }  // a Sunday
        let parts = text.prefix(10).split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]) else {
            throw .init("\"\(key)\" must be a date like 2026-01-31")
        }
        return LocalDay(year: parts[0], month: parts[1], day: parts[2])
    }

    /// "time": "09:30" or "times": ["09:30", "18:00"].
    func times() throws(ScheduleSpecError) -> [Int] {
        var texts: [String] = []
        if let one = fields["time"]?.stringValue { texts.append(one) }
        if let many = fields["times"]?.arrayValue { texts += many.compactMap(\.stringValue) }
        guard !texts.isEmpty else { throw .init("\"time\" is required (HH:MM, in the schedule's time zone)") }
        var minutes: [Int] = []
        for text in texts {
            let parts = text.split(separator: ":").compactMap { Int($0) }
            guard parts.count == 2, (0...23).contains(parts[0]), (0...59).contains(parts[1]) else {
                throw .init("time '\(text)' must be HH:MM")
            }
            minutes.append(parts[0] * 60 + parts[1])
        }
        return Array(Set(minutes)).sorted()
    }
}
