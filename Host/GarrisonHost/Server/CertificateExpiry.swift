import COpenSSL
import Foundation

/// How long the serving certificate has left, for Tactical RMM's monitoring endpoint
/// (`days_until_cert_expires`, `cert_expired`).
enum CertificateExpiry {
    /// Whole days from now until the certificate's notAfter (negative once expired), or nil
    /// when the file cannot be read as a PEM certificate.
    static func daysLeft(_ url: URL) -> Int? {
        guard let pem = try? Data(contentsOf: url) else { return nil }
        return pem.withUnsafeBytes { raw -> Int? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(clamping: raw.count)) else { return nil }
            defer { BIO_free(bio) }
            guard let x509 = PEM_read_bio_X509(bio, nil, nil, nil) else { return nil }
            defer { X509_free(x509) }
            var days: Int32 = 0
            var seconds: Int32 = 0
            // From now (nil) to notAfter: negative when notAfter has passed.
            guard ASN1_TIME_diff(&days, &seconds, nil, X509_get0_notAfter(x509)) == 1 else { return nil }
            return Int(days) - (seconds < 0 ? 1 : 0)
        }
    }
}
