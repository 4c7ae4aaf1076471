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
    /// With a database (every `garrison serve`), failures are counted there, so that several
    /// hosts behind one balancer count them together (docs/scale-out.md); without one, or
    /// while it fails, in this process.
    private let shared = NIOLockedValueBox<DatabasePool?>(nil)

    public init(limits: Limits) { self.limits = limits }

    /// A key as the database holds it: its SHA-256 (PostgreSQL text cannot hold the NUL in a
    /// pair key, and the table then keeps no user names or addresses).
    static func storedKey(_ key: String) -> String { Crypto.sha256Hex(key) }

    func share(_ pool: DatabasePool) { shared.withLockedValue { $0 = pool } }

    /// Forgotten after this long without a failure (as `live`).
    private var horizonSeconds: Double {
        let horizon = max(limits.window * 10, limits.maxDelay)
        return Double(horizon.components.seconds) + Double(horizon.components.attoseconds) / 1e18
    }

    /// `retryAfter`, counted across hosts when shared.
    public func sharedRetryAfter(username: String, address: String) async -> Int? {
        guard let pool = shared.withLockedValue({ $0 }) else { return retryAfter(username: username, address: address) }
        let keys = [Self.pairKey(username, address), Self.addressKey(address), Self.userKey(username)].map(Self.storedKey)
        do {
            let rows = try await pool.query(
                """
                SELECT key, failures, extract(epoch FROM now() - last_failure)::float8 AS age FROM login_failures
                WHERE key = ANY($1::text[]) AND last_failure > now() - make_interval(secs => $2)
                """, [PGArray.literal(keys), String(horizonSeconds)]
            ).rows
            let now = ContinuousClock.now
            var records: [String: Record] = [:]
            for row in rows {
                let age = max(0, row.double("age"))
                records[row.string("key")] = Record(failures: row.int("failures"), last: now - .milliseconds(Int64(age * 1000)))
            }
            return wait(pair: records[keys[0]], address: records[keys[1]], user: records[keys[2]], now: now)
        } catch {
            return retryAfter(username: username, address: address)
        }
    }

    /// `recordFailure`, counted across hosts when shared.
    public func sharedRecordFailure(username: String, address: String) async {
        guard let pool = shared.withLockedValue({ $0 }) else { return recordFailure(username: username, address: address) }
        let keys = [Self.pairKey(username, address), Self.userKey(username), Self.addressKey(address)].map(Self.storedKey)
        do {
            // A key quiet for longer than the horizon starts over, as `live` forgets it.
            try await pool.query(
                """
                INSERT INTO login_failures (key, failures, last_failure) SELECT k, 1, now() FROM unnest($1::text[]) k
                ON CONFLICT (key) DO UPDATE SET last_failure = now(), failures = CASE
                    WHEN login_failures.last_failure < now() - make_interval(secs => $2) THEN 1 ELSE login_failures.failures + 1 END
                """, [PGArray.literal(keys), String(horizonSeconds)])
            if Int.random(in: 0..<64) == 0 {
                _ = try? await pool.query(
                    "DELETE FROM login_failures WHERE last_failure < now() - make_interval(secs => $1)", [String(horizonSeconds)])
            }
        } catch {
            recordFailure(username: username, address: address)
        }
    }

    /// `recordSuccess`, counted across hosts when shared.
    public func sharedRecordSuccess(username: String, address: String) async {
        guard let pool = shared.withLockedValue({ $0 }) else { return recordSuccess(username: username, address: address) }
        do {
            try await pool.query(
                """
                WITH gone AS (DELETE FROM login_failures WHERE key = $1 RETURNING failures)
                UPDATE login_failures SET failures = login_failures.failures - gone.failures FROM gone WHERE key = $2
                """, [Self.storedKey(Self.pairKey(username, address)), Self.storedKey(Self.userKey(username))])
            try await pool.query("DELETE FROM login_failures WHERE key = $1 AND failures <= 0", [Self.storedKey(Self.userKey(username))])
        } catch {
            recordSuccess(username: username, address: address)
        }
    }

    static func pairKey(_ username: String, _ address: String) -> String { "p:" + username.lowercased() + "\u{0}" + address }
    static func userKey(_ username: String) -> String { "u:" + username.lowercased() }
    static func addressKey(_ address: String) -> String { "a:" + address }

    /// Seconds until this address may try this user again, or nil when it may now.
    public func retryAfter(username: String, address: String) -> Int? {
        let now = ContinuousClock.now
        return table.withLockedValue { table in
            wait(
                pair: live(&table, Self.pairKey(username, address), now), address: live(&table, Self.addressKey(address), now),
                user: live(&table, Self.userKey(username), now), now: now)
        }
    }

    /// The wait the three records owe together (see the type's comment), in whole seconds.
    private func wait(pair: Record?, address: Record?, user: Record?, now: ContinuousClock.Instant) -> Int? {
        var wait: Duration = .zero
        if let pair { wait = max(wait, delay(pair, limit: limits.perUser, now: now)) }
        if let address { wait = max(wait, delay(address, limit: limits.perAddress, now: now)) }
        // Many addresses guessing one user: those that took part wait too.
        if let pair, pair.failures > 0, let user, user.failures >= limits.perUser {
            wait = max(wait, delay(Record(failures: max(pair.failures, limits.perUser), last: pair.last), limit: limits.perUser, now: now))
        }
        guard wait > .zero else { return nil }
        return max(1, Int(wait.components.seconds) + (wait.components.attoseconds > 0 ? 1 : 0))
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
