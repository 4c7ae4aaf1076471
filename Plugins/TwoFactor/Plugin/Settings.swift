import PluginKit
import TwoFactorCore
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// The [settings] table of plugins.d/10-twofactor.toml (see that file for each key).
struct Settings: Decodable, Sendable {
    var required: Bool = true
    var issuer: String = "Garrison"
    /// "{username}" is replaced by the user's name.
    var accountName: String = "{username}"
    /// Steps accepted either side of now.
    var window: Int = 1
    var digits: Int = 6
    var period: Int = 30
    /// Base64 of 32 random bytes, or a file holding it.
    var secretKey: String?
    var secretKeyFile: String?
    /// Make secretKeyFile (mode 0600) when it does not exist yet (KeyFile.swift).
    var generateKeyFile: Bool = false
    /// Failed codes per user allowed in failureWindowSeconds before sign-in is refused.
    var maxFailures: Int = 5
    var failureWindowSeconds: Int = 300

    enum CodingKeys: String, CodingKey {
        case required, issuer, window, digits, period
        case accountName = "account_name"
        case secretKey = "secret_key"
        case secretKeyFile = "secret_key_file"
        case generateKeyFile = "generate_key_file"
        case maxFailures = "max_failures"
        case failureWindowSeconds = "failure_window_seconds"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        required = try c.decodeIfPresent(Bool.self, forKey: .required) ?? required
        issuer = try c.decodeIfPresent(String.self, forKey: .issuer) ?? issuer
        accountName = try c.decodeIfPresent(String.self, forKey: .accountName) ?? accountName
        window = try c.decodeIfPresent(Int.self, forKey: .window) ?? window
        digits = try c.decodeIfPresent(Int.self, forKey: .digits) ?? digits
        period = try c.decodeIfPresent(Int.self, forKey: .period) ?? period
        secretKey = try c.decodeIfPresent(String.self, forKey: .secretKey)
        secretKeyFile = try c.decodeIfPresent(String.self, forKey: .secretKeyFile)
        generateKeyFile = try c.decodeIfPresent(Bool.self, forKey: .generateKeyFile) ?? generateKeyFile
        maxFailures = try c.decodeIfPresent(Int.self, forKey: .maxFailures) ?? maxFailures
        failureWindowSeconds = try c.decodeIfPresent(Int.self, forKey: .failureWindowSeconds) ?? failureWindowSeconds
    }

    /// Checks ranges and loads the encryption key; every refusal names the key.
    func validated() throws -> SecretBox {
        guard (0...10).contains(window) else { throw bad("window must be 0...10 steps") }
        guard (6...8).contains(digits) else { throw bad("digits must be 6, 7 or 8") }
        guard (15...300).contains(period) else { throw bad("period must be 15...300 seconds") }
        guard !issuer.isEmpty, !issuer.contains(":") else { throw bad("issuer must be non-empty text without ':'") }
        guard maxFailures >= 1, failureWindowSeconds >= 1 else { throw bad("max_failures and failure_window_seconds must be positive") }
        return try SecretBox(key: try loadKey())
    }

    func loadKey() throws -> [UInt8] {
        let text: String
        let source: String
        switch (secretKey, secretKeyFile) {
        case (let inline?, nil):
            text = inline
            source = "secret_key"
        case (nil, let path?):
            if generateKeyFile {
                do { _ = try KeyFile.ensure(path) } catch { throw bad("\(error)") }
            }
            guard let contents = readFile(path) else { throw bad("secret_key_file \(path) cannot be read") }
            text = contents
            source = "secret_key_file \(path)"
        case (.some, .some):
            throw bad("give either secret_key or secret_key_file, not both")
        case (nil, nil):
            if generateKeyFile { throw bad("generate_key_file needs secret_key_file, the file to make") }
            throw bad("secret_key (base64 of 32 random bytes) or secret_key_file is required; make one with: openssl rand -base64 32")
        }
        let trimmed = text.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: trimmed) else { throw bad("\(source) is not base64") }
        guard data.count == 32 else {
            throw bad("\(source) must decode to 32 bytes for AES-256-GCM, not \(data.count); make one with: openssl rand -base64 32")
        }
        return Array(data)
    }

    func bad(_ message: String) -> PluginError { PluginError(.invalid, "[settings] \(message)") }
}

/// The whole of a small file, or nil.
func readFile(_ path: String) -> String? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n <= 0 { break }
        bytes += chunk.prefix(n)
        if bytes.count > 65_536 { return nil }
    }
    return String(decoding: bytes, as: UTF8.self)
}

func unixNow() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec)
}
