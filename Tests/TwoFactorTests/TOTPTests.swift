import Foundation
import Testing
import TwoFactorCore

@Suite struct TOTPTests {
    // RFC 6238 Appendix B: the seeds are ASCII "1234567890" repeated to the hash's length.
    static let seed20 = Array("12345678901234567890".utf8)
    static let seed32 = Array("12345678901234567890123456789012".utf8)
    static let seed64 = Array("1234567890123456789012345678901234567890123456789012345678901234".utf8)

    static let vectors: [(time: Int64, sha1: String, sha256: String, sha512: String)] = [
        (59, "94287082", "46119246", "90693936"),
        (1111111109, "07081804", "68084774", "25091201"),
        (1111111111, "14050471", "67062674", "99943326"),
        (1234567890, "89005924", "91819424", "93441116"),
        (2000000000, "69279037", "90698825", "38618901"),
        (20000000000, "65353130", "77737706", "47863826"),
    ]

    @Test func rfc6238AppendixBVectors() {
        let sha1 = TOTP(secret: Self.seed20, digits: 8)
        let sha256 = TOTP(secret: Self.seed32, digits: 8, algorithm: .sha256)
        let sha512 = TOTP(secret: Self.seed64, digits: 8, algorithm: .sha512)
        for v in Self.vectors {
            #expect(sha1.code(at: v.time) == v.sha1, "SHA1 T=\(v.time)")
            #expect(sha256.code(at: v.time) == v.sha256, "SHA256 T=\(v.time)")
            #expect(sha512.code(at: v.time) == v.sha512, "SHA512 T=\(v.time)")
        }
    }

    @Test func agreesWithPyotp() throws {
        let secret = try Random.bytes(20)
        let base32 = Base32.encode(secret)
        let times: [Int64] = [
            0, 29, 30, 59, 1_700_000_000, 1_700_000_029, 1_700_000_030, Int64(Date().timeIntervalSince1970), 4_102_444_800,
        ]
        let theirs = try Tool.pyotp(base32, at: times)
        let ours = TOTP(secret: secret)
        #expect(theirs == times.map { ours.code(at: $0) })
        let theirs8 = try Tool.pyotp(base32, at: times, digits: 8, period: 60)
        let ours8 = TOTP(secret: secret, digits: 8, period: 60)
        #expect(theirs8 == times.map { ours8.code(at: $0) })
    }

    @Test func windowEdgesAndReplay() throws {
        let secret = try Random.bytes(20)
        let totp = TOTP(secret: secret)
        let now: Int64 = 1_700_000_015  // the middle of step 56666667
        let step = totp.step(at: now)
        let pyCodes = try Tool.pyotp(Base32.encode(secret), at: [-3, -2, -1, 0, 1, 2, 3].map { now + $0 * 30 })
        // window 2: steps -2...+2 accepted, -3 and +3 refused.
        #expect(totp.match(pyCodes[0], at: now, window: 2, after: nil) == nil)
        #expect(totp.match(pyCodes[1], at: now, window: 2, after: nil) == step - 2)
        #expect(totp.match(pyCodes[3], at: now, window: 2, after: nil) == step)
        #expect(totp.match(pyCodes[5], at: now, window: 2, after: nil) == step + 2)
        #expect(totp.match(pyCodes[6], at: now, window: 2, after: nil) == nil)
        #expect(totp.match(pyCodes[4], at: now, window: 0, after: nil) == nil, "window 0 takes only the current step")
        // Once a step is used, it and every earlier one are refused.
        #expect(totp.match(pyCodes[3], at: now, window: 2, after: step) == nil)
        #expect(totp.match(pyCodes[2], at: now, window: 2, after: step) == nil)
        #expect(totp.match(pyCodes[4], at: now, window: 2, after: step) == step + 1)
        // Malformed input never matches.
        #expect(totp.match("12345", at: now, window: 2, after: nil) == nil)
        #expect(totp.match("abcdef", at: now, window: 2, after: nil) == nil)
    }

    @Test func base32RoundTripsAndMatchesRFC4648() {
        #expect(Base32.encode(Array("foobar".utf8)) == "MZXW6YTBOI")
        #expect(Base32.encode(Array("f".utf8)) == "MY")
        #expect(Base32.decode("mzxw6ytboi") == Array("foobar".utf8))
        #expect(Base32.decode("MZXW6YQ=") == Array("foob".utf8))
        #expect(Base32.decode("MZ!W") == nil)
        let secret = (0..<20).map { UInt8($0 * 13 & 0xff) }
        #expect(Base32.decode(Base32.encode(secret)) == secret)
    }
}
