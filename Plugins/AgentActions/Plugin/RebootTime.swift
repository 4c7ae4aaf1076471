import Foundation
import PluginKit

/// A reboot time as Tactical RMM's UI sends it: the agent's local time ("2026-12-01T22:30" or
/// "2026-12-01 22:30", seconds optional) or an ISO 8601 time with its offset.
enum RebootTime {
    static let localFormats = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss"]

    static func parse(_ text: String, zone: TimeZone) throws -> Date {
        let withOffset = ISO8601DateFormatter()
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = withOffset.date(from: text) ?? withFraction.date(from: text) { return date }
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        local.timeZone = zone
        let parsed = localFormats.lazy.compactMap { format -> Date? in
            local.dateFormat = format
            return local.date(from: text)
        }.first
        guard let parsed else {
            throw PluginHTTPError(400, "Field 'datetime' must look like 2026-12-01T22:30 (agent's local time) or an ISO 8601 time.")
        }
        return parsed
    }
}
