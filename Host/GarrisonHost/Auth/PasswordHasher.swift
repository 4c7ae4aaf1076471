import Foundation

/// Operators' passwords, hashed with scrypt. The stored form carries its parameters
/// (`scrypt$N$r$p$salt$hash`, base64) so they can be raised later without a migration:
/// an old hash still verifies, and `needsRehash` says when to upgrade it at next login.
public struct PasswordHasher: Sendable {
    /// N = 2^15, r = 8, p = 1: 32 MiB and a few tens of milliseconds per hash on this
    /// class of machine, the interactive-login setting RFC 7914 suggests.
    public var n: UInt64 = 1 << 15
    public var r: UInt64 = 8
    public var p: UInt64 = 1

    public init() {}

    /// Cheaper parameters for test suites only.
    public static let fastForTests: PasswordHasher = {
        var h = PasswordHasher(); h.n = 1 << 10; return h
    }()

    public func hash(_ password: String) -> String {
        let salt = Crypto.randomBytes(16)
        let key = Crypto.scrypt(password: Array(password.utf8), salt: salt, n: n, r: r, p: p, length: 32) ?? []
        return "scrypt$\(n)$\(r)$\(p)$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
    }

    public func verify(_ password: String, against stored: String) -> Bool {
        if stored.hasPrefix(DjangoPBKDF2.prefix) { return DjangoPBKDF2.verify(password, against: stored) }
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt",
            let n = UInt64(parts[1]), let r = UInt64(parts[2]), let p = UInt64(parts[3]),
            n > 1, n & (n - 1) == 0, n <= 1 << 20, r >= 1, r <= 32, p >= 1, p <= 16,
            let salt = Data(base64Encoded: String(parts[4])), let expected = Data(base64Encoded: String(parts[5])),
            !expected.isEmpty,
            let key = Crypto.scrypt(password: Array(password.utf8), salt: Array(salt), n: n, r: r, p: p, length: expected.count)
        else { return false }
        return Crypto.constantTimeEquals(key, Array(expected))
    }

    /// True when `stored` is not a scrypt hash with this hasher's parameters: an imported
    /// Django hash (docs/switching-from-tactical-rmm.md), or scrypt with older parameters.
    /// Login replaces it after the next successful sign-in.
    public func needsRehash(_ stored: String) -> Bool {
        !stored.hasPrefix("scrypt$\(n)$\(r)$\(p)$")
    }

    /// Burns the same time as a real verification, so a login for an unknown user takes as
    /// long as one for a known user with a wrong password.
    public func verifyDummy(_ password: String) {
        _ = Crypto.scrypt(password: Array(password.utf8), salt: Array(repeating: 0, count: 16), n: n, r: r, p: p, length: 32)
    }
}

/// Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`, the form Tactical RMM stores
/// operators' passwords in. Only verified (imported operators sign in with their old
/// password); a successful sign-in rewrites the hash with scrypt.
public enum DjangoPBKDF2 {
    public static let prefix = "pbkdf2_sha256$"
    /// Django has written 10,000 (1.x) to 1,000,000 (5.x) iterations; anything outside this
    /// range is refused rather than run (an attacker-chosen count would burn CPU per login).
    public static let iterationRange = 1_000...5_000_000

    /// Nil when `stored` is a well-formed hash; otherwise what is wrong with it.
    public static func problem(_ stored: String) -> String? {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2_sha256" else { return "not of the form pbkdf2_sha256$iterations$salt$hash" }
        guard let iterations = Int(parts[1]) else { return "iteration count \(parts[1]) is not a number" }
        guard iterationRange.contains(iterations) else {
            return "iteration count \(iterations) is outside \(iterationRange.lowerBound)...\(iterationRange.upperBound)"
        }
        guard !parts[2].isEmpty, !parts[2].contains("$") else { return "empty salt" }
        guard let hash = Data(base64Encoded: String(parts[3])), hash.count >= 16, hash.count <= 64 else {
            return "the hash is not base64 of 16 to 64 bytes"
        }
        return nil
    }

    public static func verify(_ password: String, against stored: String) -> Bool {
        guard problem(stored) == nil else { return false }
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard let iterations = Int(parts[1]), let expected = Data(base64Encoded: String(parts[3])),
            let key = Crypto.pbkdf2SHA256(password: Array(password.utf8), salt: Array(parts[2].utf8), iterations: iterations, length: expected.count)
        else { return false }
        return Crypto.constantTimeEquals(key, Array(expected))
    }

    /// A hash in Django's format (tests and the benchmark build Tactical RMM-shaped sources with it).
    public static func hash(_ password: String, salt: String, iterations: Int) -> String {
        let key = Crypto.pbkdf2SHA256(password: Array(password.utf8), salt: Array(salt.utf8), iterations: iterations, length: 32) ?? []
        return "pbkdf2_sha256$\(iterations)$\(salt)$\(Data(key).base64EncodedString())"
    }
}
