#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// The key file made on first start (`generate_key_file = true`, as the shipped plugins.d
/// file has it): 32 random bytes, base64, created with mode 0600 at open -- never readable by
/// others, not even for a moment -- and never replaced once it exists (that would make every
/// stored TOTP secret unreadable). O_EXCL settles two hosts starting at once: one writes,
/// the other reads what it wrote.
enum KeyFile {
    enum Outcome: Equatable { case existed, created }

    static func ensure(_ path: String) throws -> Outcome {
        if access(path, F_OK) == 0 { return .existed }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return .existed }
            throw PluginKeyError(
                "cannot create secret_key_file \(path): \(String(cString: strerror(errno))); create it with: openssl rand -base64 32 > \(path)"
            )
        }
        defer { close(fd) }
        var generator = SystemRandomNumberGenerator()  // getrandom(2) on Linux
        let key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let text = Array((Data(key).base64EncodedString() + "\n").utf8)
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == text.count, fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw PluginKeyError("cannot write secret_key_file \(path): \(reason)")
        }
        return .created
    }
}

struct PluginKeyError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
