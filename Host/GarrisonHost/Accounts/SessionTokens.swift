import Foundation

/// Login tokens: random, shown to the client once, stored only as a SHA-256 digest.
public enum SessionTokens {
    public struct Issued: Sendable {
        public let token: String
        public let expiry: Date
    }
}

extension Date {
    /// ISO 8601 with fractional seconds, as Django REST framework renders datetimes.
    public var iso8601: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: self)
    }
}
