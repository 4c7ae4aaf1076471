import Foundation
import FuzzSupport
import GarrisonHost

// Cron expressions (Scheduler/Timing/CronExpression.swift), as a schedule's "expr" gives
// them. Any text must give an expression or a CronError; an expression's fields stay in
// range, and a schedule built on it finds its next run without trapping.

let utc = TimeZone(identifier: "UTC")!
let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

FuzzDriver.run { input in
    let text = String(decoding: input.prefix(256), as: UTF8.self)
    guard let cron = try? CronExpression(text) else { return }
    precondition(cron.minutes.allSatisfy { (0...59).contains($0) } && cron.hours.allSatisfy { (0...23).contains($0) }, "time out of range")
    precondition(
        cron.daysOfMonth.allSatisfy { (1...31).contains($0) } && cron.months.allSatisfy { (1...12).contains($0) },
        "day or month out of range")
    precondition(cron.weekdays.allSatisfy { (0...6).contains($0) }, "weekday out of range")
    let times = cron.timesOfDay
    precondition(times.allSatisfy { (0..<1440).contains($0) }, "minute of day out of range")
    // The expression again, from its own description: the same sets.
    precondition(
        (try? CronExpression(cron.description)).map { $0.minutes == cron.minutes && $0.weekdays == cron.weekdays } ?? false,
        "the description does not parse back: \(cron.description)")
    let spec = ScheduleSpec(timing: .calendar(.cron(cron), minutesOfDay: times, zone: utc))
    if let next = spec.next(after: start, anchor: start) { precondition(next > start, "next run not after the start") }
}
