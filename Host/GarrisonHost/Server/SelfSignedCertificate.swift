import COpenSSL
import Foundation

/// Makes the default certificate: ECDSA P-256 (cheap handshakes, since every agent REST call
/// is a new connection), valid ten years, for localhost, 127.0.0.1 and the host name.
public enum SelfSignedCertificate {
    public struct Files: Sendable {
        public let certificate: URL
        public let key: URL
    }

    public static func ensure(in directory: URL, hostnames: [String]) throws -> (files: Files, created: Bool) {
        let files = Files(
            certificate: directory.appendingPathComponent("tls/cert.pem"), key: directory.appendingPathComponent("tls/key.pem"))
        if FileManager.default.fileExists(atPath: files.certificate.path), FileManager.default.fileExists(atPath: files.key.path) {
            return (files, false)
        }
        try FileManager.default.createDirectory(at: files.certificate.deletingLastPathComponent(), withIntermediateDirectories: true)
        let (certificatePEM, keyPEM) = try generate(hostnames: hostnames)
        // The key is 0600 from the moment it exists (Data.write would create it with the umask).
        try SecretFile.write([UInt8](keyPEM), to: files.key)
        try certificatePEM.write(to: files.certificate, options: .atomic)
        return (files, true)
    }

    /// SHA-256 fingerprint of a PEM certificate, as colon-separated hex (what browsers show).
    public static func fingerprint(of url: URL) throws -> String {
        let pem = try Data(contentsOf: url)
        let der = try pem.withUnsafeBytes { raw -> [UInt8] in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { throw CertificateError("out of memory") }
            defer { BIO_free(bio) }
            guard let x509 = PEM_read_bio_X509(bio, nil, nil, nil) else { throw CertificateError("\(url.path) is not a PEM certificate") }
            defer { X509_free(x509) }
            var out: UnsafeMutablePointer<UInt8>?
            let length = i2d_X509(x509, &out)
            guard length > 0, let out else { throw CertificateError("cannot encode certificate") }
            defer { CRYPTO_free(out, #fileID, #line) }
            return Array(UnsafeBufferPointer(start: out, count: Int(length)))
        }
        return Crypto.sha256(der).map { String(format: "%02X", $0) }.joined(separator: ":")
    }

    static func generate(hostnames: [String]) throws -> (Data, Data) {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nil) else { throw CertificateError("out of memory") }
        defer { EVP_PKEY_CTX_free(context) }
        var generated: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1,
            EVP_PKEY_CTX_set_ec_paramgen_curve_nid(context, NID_X9_62_prime256v1) == 1,
            EVP_PKEY_keygen(context, &generated) == 1, let key = generated
        else {
            throw CertificateError("cannot generate a P-256 key: \(lastError())")
        }
        defer { EVP_PKEY_free(key) }
        guard let x509 = X509_new() else { throw CertificateError("out of memory") }
        defer { X509_free(x509) }
        X509_set_version(x509, 2)
        let serial = Crypto.randomBytes(16)
        let bn = BN_bin2bn(serial, Int32(serial.count), nil)
        defer { BN_free(bn) }
        BN_set_bit(bn, 0)
        BN_clear_bit(bn, 127)
        BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509))
        X509_gmtime_adj(X509_getm_notBefore(x509), -3600)
        X509_gmtime_adj(X509_getm_notAfter(x509), 60 * 60 * 24 * 3650)
        X509_set_pubkey(x509, key)
        let name = X509_get_subject_name(x509)
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, "Garrison", -1, -1, 0)
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, hostnames.first ?? "localhost", -1, -1, 0)
        X509_set_issuer_name(x509, name)
        let san = hostnames.map { host in host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) ? "IP:\(host)" : "DNS:\(host)" }
            .joined(separator: ",")
        for (nid, value) in [
            (NID_subject_alt_name, san), (NID_basic_constraints, "critical,CA:FALSE"), (NID_key_usage, "critical,digitalSignature"),
            (NID_ext_key_usage, "serverAuth"),
        ] {
            guard let ext = X509V3_EXT_conf_nid(nil, nil, nid, value) else {
                throw CertificateError("bad extension \(value): \(lastError())")
            }
            X509_add_ext(x509, ext, -1)
            X509_EXTENSION_free(ext)
        }
        guard X509_sign(x509, key, EVP_sha256()) > 0 else { throw CertificateError("signing failed: \(lastError())") }
        return (try pem { PEM_write_bio_X509($0, x509) }, try pem { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) })
    }

    private static func pem(_ write: (OpaquePointer?) -> Int32) throws -> Data {
        guard let bio = BIO_new(BIO_s_mem()) else { throw CertificateError("out of memory") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw CertificateError("PEM encoding failed: \(lastError())") }
        var pointer: UnsafeMutablePointer<CChar>?
        let length = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &pointer)
        guard let pointer, length > 0 else { throw CertificateError("PEM encoding produced nothing") }
        return Data(bytes: pointer, count: length)
    }

    private static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "unknown OpenSSL error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(cString: buffer)
    }
}

public struct CertificateError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
