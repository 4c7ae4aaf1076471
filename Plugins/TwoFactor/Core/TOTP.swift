import COpenSSL

/// RFC 6238 time-based one-time passwords over RFC 4226 HOTP.
///
/// Codes are `digits` decimal digits of the dynamically truncated HMAC of the
/// 8-byte big-endian counter floor(unixTime / period).
public struct TOTP: Sendable {
    public enum Algorithm: String, Sendable {
        case sha1 = "SHA1", sha256 = "SHA256", sha512 = "SHA512"
    }

    public let secret: [UInt8]
    public var digits: Int
    public var period: Int64
    public var algorithm: Algorithm

    public init(secret: [UInt8], digits: Int = 6, period: Int64 = 30, algorithm: Algorithm = .sha1) {
        precondition((6...10).contains(digits) && period > 0)
        self.secret = secret
        self.digits = digits
        self.period = period
        self.algorithm = algorithm
    }

    /// The time step that `unixTime` falls in.
    public func step(at unixTime: Int64) -> Int64 {
        unixTime >= 0 ? unixTime / period : (unixTime - period + 1) / period
    }

    /// The code for one time step (RFC 4226 section 5.3), zero-padded.
    public func code(step: Int64) -> String {
        var counter = [UInt8](repeating: 0, count: 8)
        var value = UInt64(bitPattern: step)
        for i in (0..<8).reversed() { counter[i] = UInt8(value & 0xff); value >>= 8 }
        let mac = HMAC.compute(algorithm, key: secret, message: counter)
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary =
            (UInt64(mac[offset] & 0x7f) << 24) | (UInt64(mac[offset + 1]) << 16)
            | (UInt64(mac[offset + 2]) << 8) | UInt64(mac[offset + 3])
        var modulus: UInt64 = 1
        for _ in 0..<digits { modulus *= 10 }
        let text = String(binary % modulus)
        return String(repeating: "0", count: digits - text.count) + text
    }

    public func code(at unixTime: Int64) -> String { code(step: step(at: unixTime)) }

    /// The step whose code `candidate` is, searching `window` steps either side
    /// of now and only steps after `after` (the last step accepted, so a code is
    /// good once). Compares in constant time per step. nil: no match.
    public func match(_ candidate: String, at unixTime: Int64, window: Int, after: Int64?) -> Int64? {
        let given = Array(candidate.utf8)
        guard given.count == digits, given.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let now = step(at: unixTime)
        var found: Int64?
        for delta in -Int64(window)...Int64(window) {
            let s = now + delta
            if let after, s <= after { continue }
            if ConstantTime.equals(Array(code(step: s).utf8), given), found == nil { found = s }
        }
        return found
    }
}

/// HMAC through libcrypto's one-shot EVP_Q_mac (OpenSSL 3).
public enum HMAC {
    public static func compute(_ algorithm: TOTP.Algorithm, key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length = 0
        let done = key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                EVP_Q_mac(
                    nil, "HMAC", nil, algorithm.rawValue, nil, k.baseAddress, k.count,
                    m.baseAddress, m.count, &out, out.count, &length)
            }
        }
        precondition(done != nil, "libcrypto HMAC-\(algorithm.rawValue) failed")
        return Array(out.prefix(length))
    }
}

public enum ConstantTime {
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
