/// The otpauth:// URI authenticator apps read from the QR code (Google
/// Authenticator's Key Uri Format): otpauth://totp/ISSUER:ACCOUNT?secret=..&issuer=..
public enum OTPAuthURI {
    public static func make(issuer: String, account: String, secret: [UInt8], totp: TOTP) -> String {
        let label = percentEncode(issuer) + ":" + percentEncode(account)
        return "otpauth://totp/\(label)?secret=\(Base32.encode(secret))&issuer=\(percentEncode(issuer))"
            + "&algorithm=\(totp.algorithm.rawValue)&digits=\(totp.digits)&period=\(totp.period)"
    }

    /// RFC 3986 unreserved characters stay; everything else (":" and spaces included) is %XX.
    public static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case 65...90, 97...122, 48...57, 45, 46, 95, 126:  // A-Z a-z 0-9 - . _ ~
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
