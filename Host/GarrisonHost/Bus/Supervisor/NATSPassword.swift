import CCrypt
import Foundation

/// Passwords in the generated nats-server config are bcrypt hashes (nats-server accepts
/// "$2b$" and compares with bcrypt), so the config file and the database never hold an
/// agent's token. Cost 4, the minimum: the secrets are random 160-bit tokens that no
/// dictionary reaches, and nats-server runs bcrypt on every agent (re)connect -- after a
/// restart that is every agent at once.
public enum NATSPassword {
    public static func hash(_ secret: String) -> String? {
        let salt = Crypto.randomBytes(16)
        guard
            let setting = salt.withUnsafeBufferPointer({ pointer in
                pointer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: pointer.count) {
                    crypt_gensalt_ra("$2b$", 4, $0, Int32(pointer.count))
                }
            })
        else { return nil }
        defer { free(setting) }
        var data: UnsafeMutableRawPointer?
        var size: Int32 = 0
        defer { free(data) }
        guard let hashed = crypt_ra(secret, setting, &data, &size) else { return nil }
        let text = String(cString: hashed)
        // libxcrypt signals failure with a string starting with '*'.
        return text.hasPrefix("$2b$") ? text : nil
    }

    public static func verify(_ secret: String, _ hash: String) -> Bool {
        var data: UnsafeMutableRawPointer?
        var size: Int32 = 0
        defer { free(data) }
        guard let hashed = crypt_ra(secret, hash, &data, &size) else { return false }
        return Crypto.constantTimeEquals(Array(String(cString: hashed).utf8), Array(hash.utf8))
    }
}
