import Foundation
import Testing
@testable import GarrisonHost

@Suite struct ScheduleTimingTests {
    static let utc = TimeZone(identifier: "UTC")!
    static let berlin = TimeZone(identifier: "Europe/Berlin")!
    static let newYork = TimeZone(identifier: "America/New_York")!

    static func date(_ text: String) -> Date { ISO8601Parsing.date(text)! }
    static func iso(_ date: Date) -> String { let f = ISO8601DateFormatter(); return f.string(from: date) }

    /// The next `count` runs after `from`.
    static func runs(_ json: JSON, from: String, count: Int) throws -> [String] {
        let spec = try ScheduleSpec.parse(json)
        var cursor = date(from)
        var out: [String] = []
        for _ in 0..<count {
            guard let next = spec.next(after: cursor, anchor: date(from)) else { break }
            out.append(iso(next))
            cursor = next
        }
        return out
    }

    @Test func localDayArithmeticMatchesTheCalendar() {
        #expect(LocalDay(year: 1970, month: 1, day: 1).ordinal == 0)
        #expect(LocalDay(year: 1970, month: 1, day: 1).weekday == 4)  // Thursday
        #expect(LocalDay(year: 2026, month: 11, day: 27).weekday == 5)  // Friday
        #expect(LocalDay(ordinal: LocalDay(year: 2024, month: 2, day: 29).ordinal) == LocalDay(year: 2024, month: 2, day: 29))
        #expect(LocalDay(year: 2024, month: 2, day: 1).daysInMonth == 29)
        #expect(LocalDay(year: 2100, month: 2, day: 1).daysInMonth == 28)
        #expect(LocalDay(year: 2000, month: 2, day: 1).daysInMonth == 29)
    }

    @Test(arguments: [
        ("*/15 * * * *", "2026-03-01T10:07:00Z", ["2026-03-01T10:15:00Z", "2026-03-01T10:30:00Z", "2026-03-01T10:45:00Z"]),
        ("0 9 * * mon-fri", "2026-11-27T10:00:00Z", ["2026-11-30T09:00:00Z", "2026-12-01T09:00:00Z"]),  // Friday after 9 -> Monday
        ("30 23 L * *", "2026-02-01T00:00:00Z", ["2026-02-28T23:30:00Z", "2026-03-31T23:30:00Z", "2026-04-30T23:30:00Z"]),
        ("0 0 29 2 *", "2025-01-01T00:00:00Z", ["2028-02-29T00:00:00Z"]),
        ("0 12 1 * 0", "2026-11-01T13:00:00Z", ["2026-11-08T12:00:00Z", "2026-11-15T12:00:00Z"]),  // day-of-month OR Sunday
        ("5 4 * * 7", "2026-11-27T00:00:00Z", ["2026-11-29T04:05:00Z"]),  // 7 is Sunday too
    ])
    func cronNextRuns(_ expression: String, _ from: String, _ expected: [String]) throws {
        #expect(try Self.runs(["type": "cron", "expr": .string(expression)], from: from, count: expected.count) == expected)
    }

    @Test(arguments: ["* * *", "60 * * * *", "* 24 * * *", "5-1 * * * *", "*/0 * * * *", "* * * foo *", "1,,2 * * * *"])
    func badCronExpressionsAreRefusedWithAReason(_ expression: String) {
        #expect(throws: CronError.self) { try CronExpression(expression) }
    }

    @Test func springForwardRunsAtTheJumpAndFallBackRunsOnce() throws {
        // Berlin, 2026-03-29: 02:00 -> 03:00. A 02:30 schedule that day runs at 03:00 local (01:00Z).
        let spring = try Self.runs(["type": "cron", "expr": "30 2 * * *", "tz": "Europe/Berlin"], from: "2026-03-28T12:00:00Z", count: 3)
        #expect(spring == ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"])
        // Berlin, 2026-10-25: 03:00 -> 02:00. 02:30 happens twice; it runs once, at the first (00:30Z).
        let fall = try Self.runs(["type": "cron", "expr": "30 2 * * *", "tz": "Europe/Berlin"], from: "2026-10-24T12:00:00Z", count: 2)
        #expect(fall == ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"])
        // A daily 09:00 in New York keeps 09:00 local across the change (UTC hour moves).
        let ny = try Self.runs(["type": "daily", "time": "09:00", "tz": "America/New_York"], from: "2026-11-01T00:00:00Z", count: 2)
        #expect(ny == ["2026-11-01T14:00:00Z", "2026-11-02T14:00:00Z"])
    }

    @Test func tacticalTaskShapes() throws {
        // Every 3 days from 2026-01-01 at 08:00.
        #expect(
            try Self.runs(["type": "daily", "interval": 3, "start": "2026-01-01", "time": "08:00"], from: "2026-01-01T09:00:00Z", count: 2)
                == ["2026-01-04T08:00:00Z", "2026-01-07T08:00:00Z"])
        // Mondays and Wednesdays (2 | 8), every 2 weeks from the week of 2026-11-01 (a Sunday).
        #expect(
            try Self.runs(
                ["type": "weekly", "weekdays": 10, "interval": 2, "start": "2026-11-01", "time": "07:00"], from: "2026-11-01T00:00:00Z",
                count: 4)
                == ["2026-11-02T07:00:00Z", "2026-11-04T07:00:00Z", "2026-11-16T07:00:00Z", "2026-11-18T07:00:00Z"])
        // The 15th and the last day, in February and March only (2 | 4).
        #expect(
            try Self.runs(
                ["type": "monthly", "days": 16384, "last_day": true, "months": 6, "time": "12:00"], from: "2026-01-01T00:00:00Z", count: 5)
                == ["2026-02-15T12:00:00Z", "2026-02-28T12:00:00Z", "2026-03-15T12:00:00Z", "2026-03-31T12:00:00Z", "2027-02-15T12:00:00Z"])
        // The last Friday (weeks 16, weekday 32) of every month, and the first Monday (1, 2).
        #expect(
            try Self.runs(["type": "monthlydow", "weeks": 16, "weekdays": 32, "time": "18:00"], from: "2026-11-01T00:00:00Z", count: 2)
                == ["2026-11-27T18:00:00Z", "2026-12-25T18:00:00Z"])
        #expect(
            try Self.runs(["type": "monthlydow", "weeks": 1, "weekdays": 2, "time": "06:00"], from: "2026-11-01T00:00:00Z", count: 2)
                == ["2026-11-02T06:00:00Z", "2026-12-07T06:00:00Z"])
    }

    @Test func intervalsOnceStartAndExpiry() throws {
        let spec = try ScheduleSpec.parse([
            "type": "interval", "seconds": 150, "starts_at": "2026-01-01T00:00:00Z", "expires_at": "2026-01-01T00:10:00Z",
        ])
        var cursor = Self.date("2025-12-31T00:00:00Z")
        var runs: [String] = []
        while let next = spec.next(after: cursor, anchor: cursor) { runs.append(Self.iso(next)); cursor = next }
        #expect(
            runs == [
                "2026-01-01T00:00:00Z", "2026-01-01T00:02:30Z", "2026-01-01T00:05:00Z", "2026-01-01T00:07:30Z", "2026-01-01T00:10:00Z",
            ])
        #expect(
            try Self.runs(["type": "once", "at": "2026-05-01T10:00:00Z"], from: "2026-04-01T00:00:00Z", count: 3) == [
                "2026-05-01T10:00:00Z"
            ])
    }

    @Test(arguments: [
        (["type": "fortnightly"] as JSON, "unknown schedule type 'fortnightly'"),
        (["type": "interval", "seconds": 0] as JSON, "\"seconds\" must be at least 1"),
        (["type": "daily"] as JSON, "\"time\" is required"),
        (["type": "daily", "time": "25:00"] as JSON, "time '25:00' must be HH:MM"),
        (["type": "cron", "expr": "* * * * *", "tz": "Mars/Olympus"] as JSON, "unknown time zone 'Mars/Olympus'"),
        (["type": "weekly", "weekdays": 0, "time": "10:00"] as JSON, "\"weekdays\" must be a bitmask"),
        (["type": "once", "at": "tomorrow"] as JSON, "\"at\" must be an ISO 8601 date-time"),
    ])
    func badSpecsSayWhatIsWrong(_ json: JSON, _ message: String) {
        do {
            _ = try ScheduleSpec.parse(json)
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.description.contains(message), "\(error)")
        }
    }
}
