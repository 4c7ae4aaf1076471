import COpenSSL
import Foundation

/// MeshCentral's login token key (Plugins/MeshCentral/README.md): 80 bytes, kept as 160 hex
/// characters. Bytes 0..<32 are the AES-256-GCM key of `control.ashx?auth=` cookies, bytes
/// 48..<80 the AES-256-CBC key of `?login=` tokens; the SHA3-384 of bytes 0..<48 prefixes every
/// login token, so it is computed once here.
public struct MeshKey: Sendable {
    public let bytes: [UInt8]
    let loginPrefix: [UInt8]

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notHex, wrongLength(Int), crypto
        public var description: String {
            switch self {
            case .notHex: "is not hexadecimal"
            case .wrongLength(let n): "has \(n) characters, not 160"
            case .crypto: "could not be used by OpenSSL"
            }
        }
    }

    /// `hex`: exactly 160 hexadecimal characters (either case).
    public init(hex: String) throws {
        let text = Array(hex.utf8)
        guard text.count == 160 else { throw Failure.wrongLength(text.count) }
        guard let bytes = MeshIDs.bytes(fromHex: text) else { throw Failure.notHex }
        self.bytes = bytes
        guard let prefix = Digest.sha3_384(Array(bytes[0..<48])) else { throw Failure.crypto }
        loginPrefix = prefix
    }
}

/// The two token formats: `?login=` (AES-256-CBC after a SHA3-384 prefix) and the
/// `control.ashx?auth=` cookie (AES-256-GCM, nonce ‖ tag ‖ ciphertext), both in MeshCentral's
/// base64 (`+` → `@`, `/` → `$`, padding kept). The JSON texts are byte-exact to what
/// MeshCentral's own Python client writes, spacing included.
public enum MeshTokens {
    /// The `?login=` token for `user` ("user//name"; lower-cased here) at Unix second `time`.
    /// `iv` is 16 random bytes unless a test fixes it.
    public static func login(key: MeshKey, user: String, action: Int = 3, time: Int, iv: [UInt8]? = nil) throws -> String {
        let json = loginJSON(user: user, action: action, time: time)
        let iv = iv ?? Random.bytes(16)
        guard iv.count == 16, let sealed = Cipher.cbcEncrypt(key: Array(key.bytes[48..<80]), iv: iv, plaintext: key.loginPrefix + json)
        else { throw MeshKey.Failure.crypto }
        return MeshIDs.meshBase64(iv + sealed)
    }

    public static func loginJSON(user: String, action: Int = 3, time: Int) -> [UInt8] {
        Array(#"{"a":\#(action), "u":"\#(user.lowercased())","time":\#(time)}"#.utf8)
    }

    /// The `control.ashx?auth=` cookie for `user` (a bare name becomes "user/<domain>/<name>",
    /// lower-cased) in `domain` at Unix second `time`. `nonce` is 12 random bytes unless fixed.
    public static func auth(key: MeshKey, user: String, domain: String = "", time: Int, nonce: [UInt8]? = nil) throws -> String {
        let json = authJSON(user: user, domain: domain, time: time)
        let nonce = nonce ?? Random.bytes(12)
        guard nonce.count == 12, let (cipher, tag) = Cipher.gcmEncrypt(key: Array(key.bytes[0..<32]), nonce: nonce, plaintext: json)
        else { throw MeshKey.Failure.crypto }
        return MeshIDs.meshBase64(nonce + tag + cipher)
    }

    public static func authJSON(user: String, domain: String = "", time: Int) -> [UInt8] {
        Array(#"{"userid":"\#(userID(user, domain: domain))", "domainid":"\#(domain)", "time":\#(time)}"#.utf8)
    }

    /// "user/<domain>/<name>" for a bare name; an id already containing "user/" is kept. Lower case.
    public static func userID(_ user: String, domain: String = "") -> String {
        user.contains("user/") ? user.lowercased() : "user/\(domain)/\(user.lowercased())"
    }

    /// Reads an auth cookie back (what MeshCentral does with it): the JSON text, or nil when
    /// the key does not open it. For tests and the stand-in's mirror image.
    public static func openAuth(key: MeshKey, cookie: String) -> [UInt8]? {
        guard let raw = MeshIDs.bytes(fromMeshBase64: cookie), raw.count > 28 else { return nil }
        return Cipher.gcmDecrypt(
            key: Array(key.bytes[0..<32]), nonce: Array(raw[0..<12]), tag: Array(raw[12..<28]), ciphertext: Array(raw[28...]))
    }

    /// Reads a login token back: the JSON after the 48-byte prefix, or nil.
    public static func openLogin(key: MeshKey, token: String) -> [UInt8]? {
        guard let raw = MeshIDs.bytes(fromMeshBase64: token), raw.count >= 32, (raw.count - 16) % 16 == 0,
            let plain = Cipher.cbcDecrypt(key: Array(key.bytes[48..<80]), iv: Array(raw[0..<16]), ciphertext: Array(raw[16...])),
            plain.count >= 48
        else { return nil }
        return Array(plain[48...])
    }
}

/// MeshCentral's ids: base64 with `@` and `$` for `+` and `/`, and the agent's hex node ids.
public enum MeshIDs {
    public static func meshBase64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "@").replacingOccurrences(of: "/", with: "$")
    }

    public static func bytes(fromMeshBase64 text: String) -> [UInt8]? {
        let standard = text.replacingOccurrences(of: "@", with: "+").replacingOccurrences(of: "$", with: "/")
        return Data(base64Encoded: standard).map { Array($0) }
    }

    /// A node id as the agent reports it: 96 hexadecimal characters (48 bytes).
    public static func isAgentNodeID(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        return utf8.count == 96 && bytes(fromHex: utf8) != nil
    }

    /// The agent's hex node id in MeshCentral's form, without the "node//" prefix; nil when
    /// it is not hex.
    public static func meshNodeID(fromHex hex: String) -> String? {
        guard let raw = bytes(fromHex: Array(hex.utf8)), !raw.isEmpty else { return nil }
        return meshBase64(raw)
    }

    /// The hex form (upper case, as the agent writes it) of a MeshCentral id.
    public static func hexNodeID(fromMesh id: String) -> String? {
        let bare = id.hasPrefix("node//") ? String(id.dropFirst(6)) : id
        guard let raw = bytes(fromMeshBase64: bare) else { return nil }
        return raw.map { String(format: "%02X", $0) }.joined()
    }

    static func bytes(fromHex text: [UInt8]) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 65...70: c - 55
            case 97...102: c - 87
            default: nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(text.count / 2)
        var i = 0
        while i < text.count {
            guard let hi = nibble(text[i]), let lo = nibble(text[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

enum Random {
    static func bytes(_ n: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        precondition(RAND_bytes(&out, Int32(n)) == 1, "OpenSSL RAND_bytes failed")
        return out
    }
}

enum Digest {
    static func sha3_384(_ data: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: 48)
        var length: UInt32 = 0
        guard EVP_Digest(data, data.count, &out, &length, EVP_sha3_384(), nil) == 1, length == 48 else { return nil }
        return out
    }
}

/// libcrypto's EVP ciphers, one call each.
enum Cipher {
    static func cbcEncrypt(key: [UInt8], iv: [UInt8], plaintext: [UInt8]) -> [UInt8]? {
        run(EVP_aes_256_cbc(), encrypt: true, key: key, iv: iv, input: plaintext)
    }

    static func cbcDecrypt(key: [UInt8], iv: [UInt8], ciphertext: [UInt8]) -> [UInt8]? {
        run(EVP_aes_256_cbc(), encrypt: false, key: key, iv: iv, input: ciphertext)
    }

    /// PKCS#7 padding is OpenSSL's default for CBC.
    private static func run(_ cipher: OpaquePointer?, encrypt: Bool, key: [UInt8], iv: [UInt8], input: [UInt8]) -> [UInt8]? {
        guard let ctx = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(ctx) }
        guard EVP_CipherInit_ex(ctx, cipher, nil, key, iv, encrypt ? 1 : 0) == 1 else { return nil }
        var out = [UInt8](repeating: 0, count: input.count + 32)
        var length: Int32 = 0
        var total = 0
        let ok = out.withUnsafeMutableBufferPointer { p -> Bool in
            guard EVP_CipherUpdate(ctx, p.baseAddress!, &length, input, Int32(input.count)) == 1 else { return false }
            total = Int(length)
            guard EVP_CipherFinal_ex(ctx, p.baseAddress! + total, &length) == 1 else { return false }
            total += Int(length)
            return true
        }
        return ok ? Array(out[0..<total]) : nil
    }

    static func gcmEncrypt(key: [UInt8], nonce: [UInt8], plaintext: [UInt8]) -> (ciphertext: [UInt8], tag: [UInt8])? {
        guard let ctx = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(ctx) }
        guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nil) == 1,
            EVP_EncryptInit_ex(ctx, nil, nil, key, nonce) == 1
        else { return nil }
        var out = [UInt8](repeating: 0, count: plaintext.count + 16)
        var length: Int32 = 0
        var total = 0
        let ok = out.withUnsafeMutableBufferPointer { p -> Bool in
            guard EVP_EncryptUpdate(ctx, p.baseAddress!, &length, plaintext, Int32(plaintext.count)) == 1 else { return false }
            total = Int(length)
            guard EVP_EncryptFinal_ex(ctx, p.baseAddress! + total, &length) == 1 else { return false }
            total += Int(length)
            return true
        }
        var tag = [UInt8](repeating: 0, count: 16)
        guard ok, EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, &tag) == 1 else { return nil }
        return (Array(out[0..<total]), tag)
    }

    static func gcmDecrypt(key: [UInt8], nonce: [UInt8], tag: [UInt8], ciphertext: [UInt8]) -> [UInt8]? {
        guard let ctx = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(ctx) }
        guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nil) == 1,
            EVP_DecryptInit_ex(ctx, nil, nil, key, nonce) == 1
        else { return nil }
        var out = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var length: Int32 = 0
        var total = 0
        var tag = tag
        let ok = out.withUnsafeMutableBufferPointer { p -> Bool in
            guard EVP_DecryptUpdate(ctx, p.baseAddress!, &length, ciphertext, Int32(ciphertext.count)) == 1 else { return false }
            total = Int(length)
            guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, &tag) == 1 else { return false }
            guard EVP_DecryptFinal_ex(ctx, p.baseAddress! + total, &length) == 1 else { return false }
            total += Int(length)
            return true
        }
        return ok ? Array(out[0..<total]) : nil
    }
}
