import Foundation
import FuzzSupport
import GarrisonHost

// Schedule specs (Scheduler/Timing/ScheduleSpec.swift): the JSON the schedule API and the
// plugin ABI take. Any JSON must give a spec or a ScheduleSpecError, and the scheduler's
// next-run computation on a spec must not trap: the next run, when there is one, comes
// after the instant asked about.

let instants = [
    Date(timeIntervalSince1970: 1_767_225_600),  // 2026-01-01T00:00:00Z
    Date(timeIntervalSince1970: 1_774_746_000),  // 2026-03-29T01:00:00Z, a spring-forward in Europe
    Date(timeIntervalSince1970: 0),
]

FuzzDriver.run { input in
    guard let json = try? JSON.parse(Data(input)), let spec = try? ScheduleSpec.parse(json) else { return }
    for instant in instants {
        if let next = spec.next(after: instant, anchor: instants[0]) {
            precondition(next > instant, "next run \(next) is not after \(instant)")
        }
    }
}
