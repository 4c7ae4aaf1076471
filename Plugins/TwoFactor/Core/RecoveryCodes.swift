/// Single-use recovery codes: shown once, stored as salt and SHA-256(salt || code).
/// Ten codes of 10 base32 characters (50 bits each) in two groups: "ABCDE-FGH23".
public enum RecoveryCodes {
    public struct Stored: Sendable, Equatable {
        public let salt: String  // hex
        public let hash: String  // hex

        public init(salt: String, hash: String) {
            self.salt = salt
            self.hash = hash
        }
    }

    public static func generate(count: Int = 10) throws -> [String] {
        try (0..<count).map { _ in
            let text = Base32.encode(try Random.bytes(7))  // 56 bits -> 12 chars; keep 10
            let chars = Array(text.prefix(10))
            return String(chars.prefix(5)) + "-" + String(chars.suffix(5))
        }
    }

    /// Upper case without spaces or dashes, so "abcde fgh23" matches.
    public static func normalize(_ code: String) -> String {
        String(code.uppercased().filter { $0 != "-" && $0 != " " })
    }

    /// Plausibly a recovery code (and not a TOTP code) before any hashing.
    public static func looksLikeOne(_ code: String) -> Bool {
        let n = normalize(code)
        return n.count == 10 && Base32.decode(n) != nil
    }

    public static func store(_ code: String) throws -> Stored {
        let salt = try Random.bytes(16)
        return Stored(salt: Hex.encode(salt), hash: Hex.encode(digest(code, salt: salt)))
    }

    public static func matches(_ code: String, _ stored: Stored) -> Bool {
        guard let salt = Hex.decode(stored.salt), let expected = Hex.decode(stored.hash) else { return false }
        return ConstantTime.equals(digest(code, salt: salt), expected)
    }

    static func digest(_ code: String, salt: [UInt8]) -> [UInt8] {
        SHA256.hash(salt + Array(normalize(code).utf8))
    }
}
