import COpenSSL

/// AES-256-GCM with a random 96-bit nonce, for TOTP secrets at rest.
/// Sealed form: nonce (12) || ciphertext || tag (16). The associated data binds
/// a ciphertext to its row (the user id), so rows cannot be swapped.
public struct SecretBox: Sendable {
    public enum Failure: Error, Sendable { case badKey, cryptoFailed, tampered }

    let key: [UInt8]

    public init(key: [UInt8]) throws {
        guard key.count == 32 else { throw Failure.badKey }
        self.key = key
    }

    public func seal(_ plaintext: [UInt8], associatedData: [UInt8]) throws -> [UInt8] {
        let nonce = try Random.bytes(12)
        guard let ctx = EVP_CIPHER_CTX_new() else { throw Failure.cryptoFailed }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: plaintext.count + 16)
        var length: Int32 = 0
        var total = 0
        guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { throw Failure.cryptoFailed }
        if !associatedData.isEmpty {
            guard EVP_EncryptUpdate(ctx, nil, &length, associatedData, Int32(associatedData.count)) == 1 else { throw Failure.cryptoFailed }
        }
        if !plaintext.isEmpty {
            guard EVP_EncryptUpdate(ctx, &out, &length, plaintext, Int32(plaintext.count)) == 1 else { throw Failure.cryptoFailed }
            total = Int(length)
        }
        let finalOK = out.withUnsafeMutableBufferPointer { p in
            EVP_EncryptFinal_ex(ctx, p.baseAddress! + total, &length)
        }
        guard finalOK == 1 else { throw Failure.cryptoFailed }
        total += Int(length)
        var tag = [UInt8](repeating: 0, count: 16)
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, &tag) == 1 else { throw Failure.cryptoFailed }
        return nonce + out.prefix(total) + tag
    }

    public func open(_ sealed: [UInt8], associatedData: [UInt8]) throws -> [UInt8] {
        guard sealed.count >= 28 else { throw Failure.tampered }
        let nonce = Array(sealed.prefix(12))
        let body = Array(sealed[12..<(sealed.count - 16)])
        var tag = Array(sealed.suffix(16))
        guard let ctx = EVP_CIPHER_CTX_new() else { throw Failure.cryptoFailed }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: body.count + 16)
        var length: Int32 = 0
        var total = 0
        guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { throw Failure.cryptoFailed }
        if !associatedData.isEmpty {
            guard EVP_DecryptUpdate(ctx, nil, &length, associatedData, Int32(associatedData.count)) == 1 else { throw Failure.cryptoFailed }
        }
        if !body.isEmpty {
            guard EVP_DecryptUpdate(ctx, &out, &length, body, Int32(body.count)) == 1 else { throw Failure.cryptoFailed }
            total = Int(length)
        }
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, &tag) == 1 else { throw Failure.cryptoFailed }
        let finalOK = out.withUnsafeMutableBufferPointer { p in
            EVP_DecryptFinal_ex(ctx, p.baseAddress! + total, &length)
        }
        guard finalOK == 1 else { throw Failure.tampered }
        total += Int(length)
        return Array(out.prefix(total))
    }
}

public enum Random {
    public struct Failure: Error, Sendable {}

    public static func bytes(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&out, Int32(count)) == 1 else { throw Failure() }
        return out
    }
}

public enum SHA256 {
    public static func hash(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = data.withUnsafeBufferPointer { COpenSSL.SHA256($0.baseAddress, $0.count, &out) }
        return out
    }
}

public enum Hex {
    public static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        var out = [UInt8]()
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
