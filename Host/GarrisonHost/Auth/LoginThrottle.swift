import Foundation
import NIOConcurrencyHelpers

/// Counts failed logins per username and per source address in a sliding window. Past the
/// limit, every attempt for that key (even a correct one) is refused until the window moves,
/// so guessing gains nothing by continuing.
public final class LoginThrottle: Sendable {
    public struct Limits: Sendable {
        public var perUser: Int
        public var perAddress: Int
        public var window: Duration
        public init(perUser: Int = 5, perAddress: Int = 20, window: Duration = .seconds(60)) {
            self.perUser = perUser
            self.perAddress = perAddress
            self.window = window
        }
    }

    private let limits: Limits
    private let failures = NIOLockedValueBox<[String: [ContinuousClock.Instant]]>([:])

    public init(limits: Limits) { self.limits = limits }

    /// Seconds until the caller may try again, or nil when not throttled.
    public func retryAfter(username: String, address: String) -> Int? {
        let now = ContinuousClock.now
        return failures.withLockedValue { table in
            var wait: Duration?
            for (key, limit) in [("u:" + username.lowercased(), limits.perUser), ("a:" + address, limits.perAddress)] {
                let recent = (table[key] ?? []).filter { now - $0 < limits.window }
                table[key] = recent.isEmpty ? nil : recent
                if recent.count >= limit, let oldest = recent.first {
                    let remaining = limits.window - (now - oldest)
                    wait = max(wait ?? .zero, remaining)
                }
            }
            return wait.map { max(1, Int(($0.components.seconds)) + 1) }
        }
    }

    public func recordFailure(username: String, address: String) {
        let now = ContinuousClock.now
        failures.withLockedValue { table in
            table["u:" + username.lowercased(), default: []].append(now)
            table["a:" + address, default: []].append(now)
        }
    }

    public func recordSuccess(username: String) {
        failures.withLockedValue { _ = $0.removeValue(forKey: "u:" + username.lowercased()) }
    }
}
