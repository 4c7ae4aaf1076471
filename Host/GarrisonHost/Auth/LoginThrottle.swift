import Foundation
import NIOConcurrencyHelpers

/// Slows password guessing without handing anyone a lock-out button.
///
/// Failures are counted per (username, source address) and per source address. Once a key
/// reaches its limit, every attempt under that key waits, and each further failure doubles the
/// wait (up to `maxDelay`), so guessing gains nothing by going on. A username is never locked
/// as such: a correct password from an address that has not failed for that user still signs
/// in, whatever others send. Guessing one user from many addresses is slowed too: past
/// `perUser` failures in all, an address that has itself failed for that user waits as if it
/// had reached its own limit.
public final class LoginThrottle: Sendable {
    public struct Limits: Sendable {
        /// Failures of one address for one user before it waits.
        public var perUser: Int
        /// Failures of one address (any users) before it waits.
        public var perAddress: Int
        /// The first wait, doubled by every failure past the limit; also how long a quiet key
        /// is remembered (ten windows).
        public var window: Duration
        public var maxDelay: Duration
        public init(perUser: Int = 5, perAddress: Int = 20, window: Duration = .seconds(60), maxDelay: Duration = .seconds(900)) {
            self.perUser = max(1, perUser)
            self.perAddress = max(1, perAddress)
            self.window = window
            self.maxDelay = maxDelay
        }
    }

    struct Record {
        var failures = 0
        var last: ContinuousClock.Instant
    }

    /// Keys beyond this are dropped oldest-first; an attacker spraying addresses cannot grow memory.
    static let maxKeys = 100_000

    private let limits: Limits
    private let table = NIOLockedValueBox<[String: Record]>([:])

    public init(limits: Limits) { self.limits = limits }

    static func pairKey(_ username: String, _ address: String) -> String { "p:" + username.lowercased() + "\u{0}" + address }
    static func userKey(_ username: String) -> String { "u:" + username.lowercased() }
    static func addressKey(_ address: String) -> String { "a:" + address }

    /// Seconds until this address may try this user again, or nil when it may now.
    public func retryAfter(username: String, address: String) -> Int? {
        let now = ContinuousClock.now
        return table.withLockedValue { table in
            var wait: Duration = .zero
            let pair = live(&table, Self.pairKey(username, address), now)
            if let pair { wait = max(wait, delay(pair, limit: limits.perUser, now: now)) }
            if let address = live(&table, Self.addressKey(address), now) {
                wait = max(wait, delay(address, limit: limits.perAddress, now: now))
            }
            // Many addresses guessing one user: those that took part wait too.
            if let pair, pair.failures > 0, let user = live(&table, Self.userKey(username), now), user.failures >= limits.perUser {
                wait = max(
                    wait, delay(Record(failures: max(pair.failures, limits.perUser), last: pair.last), limit: limits.perUser, now: now))
            }
            guard wait > .zero else { return nil }
            return max(1, Int(wait.components.seconds) + (wait.components.attoseconds > 0 ? 1 : 0))
        }
    }

    public func recordFailure(username: String, address: String) {
        let now = ContinuousClock.now
        table.withLockedValue { table in
            if table.count >= Self.maxKeys { prune(&table, now) }
            for key in [Self.pairKey(username, address), Self.userKey(username), Self.addressKey(address)] {
                var record = live(&table, key, now) ?? Record(last: now)
                record.failures += 1
                record.last = now
                table[key] = record
            }
        }
    }

    /// A good sign-in clears what that address did wrong for that user (its typos no longer
    /// count towards the user's total either), nothing else.
    public func recordSuccess(username: String, address: String) {
        table.withLockedValue { table in
            guard let pair = table.removeValue(forKey: Self.pairKey(username, address)) else { return }
            let key = Self.userKey(username)
            if var user = table[key] {
                user.failures = max(0, user.failures - pair.failures)
                table[key] = user.failures == 0 ? nil : user
            }
        }
    }

    /// The wait a key owes at `now`: none below its limit, then window × 2^(failures − limit),
    /// counted from its last failure.
    private func delay(_ record: Record, limit: Int, now: ContinuousClock.Instant) -> Duration {
        guard record.failures >= limit else { return .zero }
        let doublings = min(record.failures - limit, 20)
        let full = min(limits.window * (1 << doublings), limits.maxDelay)
        let elapsed = now - record.last
        return elapsed >= full ? .zero : full - elapsed
    }

    /// The record if it is still remembered (quiet for less than ten windows, and less than the longest wait).
    private func live(_ table: inout [String: Record], _ key: String, _ now: ContinuousClock.Instant) -> Record? {
        guard let record = table[key] else { return nil }
        if now - record.last > max(limits.window * 10, limits.maxDelay) {
            table[key] = nil
            return nil
        }
        return record
    }

    private func prune(_ table: inout [String: Record], _ now: ContinuousClock.Instant) {
        let horizon = max(limits.window * 10, limits.maxDelay)
        table = table.filter { now - $0.value.last <= horizon }
        if table.count >= Self.maxKeys {
            // Still full of fresh keys: keep the newer half.
            let keep = table.sorted { $0.value.last > $1.value.last }.prefix(Self.maxKeys / 2)
            table = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}
