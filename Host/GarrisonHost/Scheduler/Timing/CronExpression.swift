import Foundation

/// A standard 5-field cron expression: minute, hour, day of month, month, day of week, with
/// lists, ranges, steps, names (jan, mon) and `L` (last day of month) in the day field.
/// As in Vixie cron, when both day fields are restricted a day matches either of them.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let minutes: Set<Int>
    public let hours: Set<Int>
    public let daysOfMonth: Set<Int>
    public let lastDayOfMonth: Bool
    public let months: Set<Int>
    public let weekdays: Set<Int>
    let dayOfMonthRestricted: Bool
    let weekdayRestricted: Bool
    public let description: String

    public init(_ text: String) throws(CronError) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw CronError("'\(text)' has \(fields.count) fields; cron needs 5: minute hour day-of-month month day-of-week")
        }
        description = fields.joined(separator: " ")
        minutes = try Self.field(fields[0], "minute", 0...59, names: [:])
        hours = try Self.field(fields[1], "hour", 0...23, names: [:])
        let dom = fields[2].uppercased()
        if dom == "L" {
            daysOfMonth = []
            lastDayOfMonth = true
        } else if dom.hasSuffix(",L") {
            daysOfMonth = try Self.field(String(dom.dropLast(2)), "day of month", 1...31, names: [:])
            lastDayOfMonth = true
        } else {
            daysOfMonth = try Self.field(dom, "day of month", 1...31, names: [:])
            lastDayOfMonth = false
        }
        months = try Self.field(
            fields[3], "month", 1...12,
            names: [
                "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
            ])
        var days = try Self.field(
            fields[4], "day of week", 0...7, names: ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6])
        if days.contains(7) { days.remove(7); days.insert(0) }
        weekdays = days
        dayOfMonthRestricted = fields[2] != "*" && fields[2] != "?"
        weekdayRestricted = fields[4] != "*" && fields[4] != "?"
    }

    public func matches(_ day: LocalDay) -> Bool {
        guard months.contains(day.month) else { return false }
        let domHit = daysOfMonth.contains(day.day) || (lastDayOfMonth && day.isLastDayOfMonth)
        let dowHit = weekdays.contains(day.weekday)
        if dayOfMonthRestricted && weekdayRestricted { return domHit || dowHit }
        if dayOfMonthRestricted { return domHit }
        if weekdayRestricted { return dowHit }
        return true
    }

    /// Minutes of the day (0...1439) at which it fires, ascending.
    public var timesOfDay: [Int] { hours.sorted().flatMap { hour in minutes.sorted().map { hour * 60 + $0 } } }

    private static func field(_ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String: Int]) throws(CronError) -> Set<Int>
    {
        var values = Set<Int>()
        for part in text.lowercased().split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw CronError("empty list item in the \(name) field '\(text)'") }
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw CronError("more than one '/' in the \(name) field '\(text)'") }
            var step = 1
            if pieces.count == 2 {
                guard let value = Int(pieces[1]), value > 0 else {
                    throw CronError("step '\(pieces[1])' in the \(name) field must be a positive number")
                }
                step = value
            }
            var low = range.lowerBound, high = range.upperBound
            let base = String(pieces[0])
            if base != "*" {
                let bounds = base.split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2 else { throw CronError("bad range '\(base)' in the \(name) field") }
                low = try value(String(bounds[0]), name, range, names)
                high = bounds.count == 2 ? try value(String(bounds[1]), name, range, names) : (pieces.count == 2 ? range.upperBound : low)
                guard low <= high else { throw CronError("range '\(base)' in the \(name) field runs backwards") }
            }
            values.formUnion(stride(from: low, through: high, by: step))
        }
        return values
    }

    private static func value(_ text: String, _ name: String, _ range: ClosedRange<Int>, _ names: [String: Int]) throws(CronError) -> Int {
        guard let number = Int(text) ?? names[text] else { throw CronError("'\(text)' is not a number in the \(name) field") }
        guard range.contains(number) else {
            throw CronError("\(number) is outside \(range.lowerBound)-\(range.upperBound) in the \(name) field")
        }
        return number
    }
}

public struct CronError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
