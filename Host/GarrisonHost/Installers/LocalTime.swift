import Foundation

/// A time as Tactical RMM's UI sends it: "2026-12-01T22:30", "2026-12-01 22:30" (local
/// time in `zone`) or a full ISO 8601 time with offset. Installers' expiry uses it.
enum LocalTime {
    static func parse(_ text: String, zone: TimeZone, field: String) throws -> Date {
        let iso = ISO8601DateFormatter()
        if let date = iso.date(from: text) { return date }
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = iso.date(from: text) { return date }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        throw APIError.badRequest("Field '\(field)' must look like 2026-12-01T22:30 or an ISO 8601 time with an offset.")
    }
}
