import COpenSSL
import Foundation

/// The few primitives the host needs, from the system's OpenSSL.
public enum Crypto {
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let ok = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        // A failing CSPRNG leaves no safe way to mint a secret; stopping is the only honest answer.
        precondition(ok == 1, "OpenSSL RAND_bytes failed; refusing to create secrets without a CSPRNG")
        return bytes
    }

    /// A random secret as lowercase hex (tokens, API keys, passwords for embedded services).
    public static func randomHex(bytes: Int = 32) -> String { hex(randomBytes(bytes)) }

    public static func sha256(_ data: some Collection<UInt8>) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        let input = Array(data)
        input.withUnsafeBufferPointer { buffer in
            digest.withUnsafeMutableBufferPointer { out in
                _ = SHA256(buffer.baseAddress, buffer.count, out.baseAddress)
            }
        }
        return digest
    }

    public static func sha256Hex(_ string: String) -> String { hex(sha256(Array(string.utf8))) }

    /// Compares secrets without leaking, through timing, how many leading bytes matched.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 } }
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// scrypt (RFC 7914). Returns nil only if OpenSSL refuses the parameters.
    static func scrypt(password: [UInt8], salt: [UInt8], n: UInt64, r: UInt64, p: UInt64, length: Int) -> [UInt8]? {
        var key = [UInt8](repeating: 0, count: length)
        // maxmem must cover 128 * r * N bytes plus slack, or OpenSSL refuses.
        let maxMemory = 128 * r * n + 1024 * 1024 * 64
        let ok = password.withUnsafeBufferPointer { pw in
            salt.withUnsafeBufferPointer { s in
                key.withUnsafeMutableBufferPointer { out in
                    EVP_PBE_scrypt(
                        UnsafeRawPointer(pw.baseAddress!).assumingMemoryBound(to: CChar.self), pw.count,
                        s.baseAddress, s.count, n, r, p, maxMemory, out.baseAddress, length)
                }
            }
        }
        return ok == 1 ? key : nil
    }

    /// PBKDF2-HMAC-SHA256 (RFC 8018). Nil only if OpenSSL refuses.
    static func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int, length: Int) -> [UInt8]? {
        var key = [UInt8](repeating: 0, count: length)
        let ok = password.withUnsafeBufferPointer { pw in
            salt.withUnsafeBufferPointer { s in
                key.withUnsafeMutableBufferPointer { out in
                    PKCS5_PBKDF2_HMAC(
                        pw.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, Int32(pw.count),
                        s.baseAddress, Int32(s.count), Int32(iterations), EVP_sha256(), Int32(length), out.baseAddress)
                }
            }
        }
        return ok == 1 ? key : nil
    }
}
