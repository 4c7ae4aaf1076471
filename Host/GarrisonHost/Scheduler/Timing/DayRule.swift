import Foundation

/// Which local days a calendar schedule runs on. Cron, and each of Tactical RMM's automated
/// task shapes, reduce to one of these plus a list of times of day.
public enum DayRule: Sendable, Equatable {
    /// Every `interval` days counted from `anchor` (Tactical RMM "daily").
    case everyNDays(interval: Int, anchor: LocalDay)
    /// Weekdays in a bitmask (Task Scheduler bits: Sunday = 1 ... Saturday = 64), every
    /// `interval` weeks counted from the week of `anchor` (Tactical RMM "weekly").
    case weekly(weekdays: Int, interval: Int, anchor: LocalDay)
    /// Days of month (bit 0 = day 1 ... bit 30 = day 31), optionally the last day, in the
    /// months of a bitmask (January = 1 ... December = 2048) (Tactical RMM "monthly").
    case monthly(days: Int, lastDay: Bool, months: Int)
    /// Weeks of month (first = 1, second = 2, third = 4, fourth = 8, last = 16) crossed with
    /// weekdays, in the months of a bitmask (Tactical RMM "monthlydow").
    case monthlyDayOfWeek(weeks: Int, weekdays: Int, months: Int)
    /// A cron day condition (day-of-month, month, day-of-week sets with cron's OR rule).
    case cron(CronExpression)

    public func matches(_ day: LocalDay) -> Bool {
        switch self {
        case .everyNDays(let interval, let anchor):
            let delta = day.ordinal - anchor.ordinal
            return delta >= 0 && delta % max(1, interval) == 0
        case .weekly(let weekdays, let interval, let anchor):
            guard weekdays & (1 << day.weekday) != 0 else { return false }
            // Weeks start on Sunday, as Task Scheduler counts them.
            let week = (day.ordinal - day.weekday) - (anchor.ordinal - anchor.weekday)
            return week >= 0 && (week / 7) % max(1, interval) == 0
        case .monthly(let days, let lastDay, let months):
            guard months & (1 << (day.month - 1)) != 0 else { return false }
            return days & (1 << (day.day - 1)) != 0 || (lastDay && day.isLastDayOfMonth)
        case .monthlyDayOfWeek(let weeks, let weekdays, let months):
            guard months & (1 << (day.month - 1)) != 0, weekdays & (1 << day.weekday) != 0 else { return false }
            if weeks & (1 << (day.weekOfMonth - 1)) != 0, day.weekOfMonth <= 4 { return true }
            return weeks & 16 != 0 && day.isLastWeekdayOfMonth
        case .cron(let expression):
            return expression.matches(day)
        }
    }
}
