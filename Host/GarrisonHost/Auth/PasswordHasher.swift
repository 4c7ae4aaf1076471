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

    /// Burns the same time as a real verification, so a login for an unknown user takes as
    /// long as one for a known user with a wrong password.
    public func verifyDummy(_ password: String) {
        _ = Crypto.scrypt(password: Array(password.utf8), salt: Array(repeating: 0, count: 16), n: n, r: r, p: p, length: 32)
    }
}
