import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Writes files that hold secrets (the TLS key, passwords): created with mode 0600 at open,
/// never readable by anyone else for a moment, and put in place with one rename so a reader
/// never sees half a file. A symlink planted at the temporary name is not followed.
enum SecretFile {
    /// - Parameter owner: uid and gid to give the file before it is filled (initdb's
    ///   password file must be readable by the postgres user, and by nobody else).
    static func write(_ bytes: [UInt8], to url: URL, owner: (uid: uid_t, gid: gid_t)? = nil) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).\(getpid()).\(Crypto.randomHex(bytes: 4)).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SecretFileError("cannot create \(temporary.path): \(String(cString: strerror(errno)))") }
        var failure: String?
        if let owner, fchown(fd, owner.uid, owner.gid) != 0 {
            failure = "cannot give \(url.path) to uid \(owner.uid): \(String(cString: strerror(errno)))"
        }
        if failure == nil {
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = "cannot write \(url.path): \(String(cString: strerror(errno)))"
                    break
                }
                offset += written
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = "cannot write \(url.path): \(String(cString: strerror(errno)))" }
        close(fd)
        if failure == nil, rename(temporary.path, url.path) != 0 {
            failure = "cannot put \(url.path) in place: \(String(cString: strerror(errno)))"
        }
        if let failure {
            unlink(temporary.path)
            throw SecretFileError(failure)
        }
    }

    static func write(_ text: String, to url: URL, owner: (uid: uid_t, gid: gid_t)? = nil) throws {
        try write(Array(text.utf8), to: url, owner: owner)
    }
}

public struct SecretFileError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
