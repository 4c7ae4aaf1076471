import Foundation
import Testing
import TwoFactorCore

@Suite struct CryptoTests {
    @Test func secretBoxRoundTripsAndRefusesTampering() throws {
        let box = try SecretBox(key: try Random.bytes(32))
        let secret = try Random.bytes(20)
        let sealed = try box.seal(secret, associatedData: Array("user:1".utf8))
        #expect(sealed.count == 12 + 20 + 16)
        #expect(try box.open(sealed, associatedData: Array("user:1".utf8)) == secret)
        #expect(throws: SecretBox.Failure.self) { try box.open(sealed, associatedData: Array("user:2".utf8)) }
        var flipped = sealed
        flipped[14] ^= 1
        #expect(throws: SecretBox.Failure.self) { try box.open(flipped, associatedData: Array("user:1".utf8)) }
        let other = try SecretBox(key: try Random.bytes(32))
        #expect(throws: SecretBox.Failure.self) { try other.open(sealed, associatedData: Array("user:1".utf8)) }
        #expect(throws: SecretBox.Failure.self) { try SecretBox(key: try Random.bytes(16)) }
        #expect(try box.seal(secret, associatedData: []) != box.seal(secret, associatedData: []), "fresh nonce each time")
    }

    @Test func recoveryCodesAreSaltedAndMatchOnce() throws {
        let codes = try RecoveryCodes.generate()
        #expect(codes.count == 10 && Set(codes).count == 10)
        #expect(codes.allSatisfy { $0.count == 11 && RecoveryCodes.looksLikeOne($0) })
        let stored = try RecoveryCodes.store(codes[0])
        let again = try RecoveryCodes.store(codes[0])
        #expect(stored.hash != again.hash, "per-code salt")
        #expect(RecoveryCodes.matches(codes[0], stored))
        #expect(RecoveryCodes.matches(codes[0].lowercased().replacing("-", with: " "), stored))
        #expect(!RecoveryCodes.matches(codes[1], stored))
        #expect(!RecoveryCodes.looksLikeOne("123456"))
    }

    @Test func hmacSHA1MatchesRFC2202() {
        // RFC 2202 test case 2.
        let mac = HMAC.compute(.sha1, key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }
}
