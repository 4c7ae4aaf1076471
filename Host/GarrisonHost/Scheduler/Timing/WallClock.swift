import Foundation

/// Turns a wall-clock time in a time zone into an instant, with a fixed rule for the two
/// daylight-saving edge cases: a time that does not exist that day (skipped by a spring-
/// forward) happens at the instant the clock jumps; a time that happens twice (autumn) counts
/// once, at its first occurrence.
public enum WallClock {
    public static func instant(_ day: LocalDay, hour: Int, minute: Int, in zone: TimeZone) -> Date {
        let localSeconds = Double(day.ordinal * 86_400 + hour * 3600 + minute * 60)
        // Try the offsets in force around that local time; the earliest consistent one wins.
        let guess = Date(timeIntervalSince1970: localSeconds)
        let offsets = Set([-86_400, -7200, 0, 7200, 86_400].map { zone.secondsFromGMT(for: guess.addingTimeInterval(Double($0))) }).sorted(
            by: >)
        var candidates: [Date] = []
        for offset in offsets {
            let instant = Date(timeIntervalSince1970: localSeconds - Double(offset))
            if zone.secondsFromGMT(for: instant) == offset { candidates.append(instant) }
        }
        if let first = candidates.min() { return first }
        // In a gap: no offset maps back. The clock jumps at the transition right after the
        // local time under the earlier offset; that transition is the answer.
        let before = Date(timeIntervalSince1970: localSeconds - Double(offsets.max() ?? 0))
        return zone.nextDaylightSavingTimeTransition(after: before.addingTimeInterval(-7200)) ?? before
    }

    /// The local day and minute-of-day of an instant in a time zone.
    public static func local(_ instant: Date, in zone: TimeZone) -> (day: LocalDay, minuteOfDay: Int) {
        let localSeconds = Int(floor(instant.timeIntervalSince1970)) + zone.secondsFromGMT(for: instant)
        let days = Int(floor(Double(localSeconds) / 86_400))
        let minute = (localSeconds - days * 86_400) / 60
        return (LocalDay(ordinal: days), minute)
    }
}
