import Foundation

/// An exclusive lock on a folder the host runs a child in (the private PostgreSQL cluster,
/// nats-server's folder), held while the child runs. The kernel drops a flock when its holder
/// dies, however it dies, so a lock that can be taken means no live host uses the folder:
/// whatever it left behind (pid files, a postmaster shutting down) is a dead host's. A lock
/// that cannot be taken is another live host, which is refused by name.
final class DataFolderLock: Sendable {
    let path: String
    private let fd: Int32

    /// Takes the lock on `folder/garrison.lock` and writes this process's pid into it.
    static func acquire(_ folder: URL, what: String) throws -> DataFolderLock {
        let path = folder.appendingPathComponent("garrison.lock").path
        // CLOEXEC, and SpawnCloseFrom for the children: a child that inherited the descriptor
        // would hold the lock after the host is gone.
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw DataFolderLockError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = ProcessProbe.pid(inFile: URL(fileURLWithPath: path)).map { " (pid \($0))" } ?? ""
            close(fd)
            throw DataFolderLockError(
                "\(folder.path) is in use by another garrison process\(holder), which runs \(what) there; stop it first, or give this one another data folder (data.dir)"
            )
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return DataFolderLock(path: path, fd: fd)
    }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    /// Gives the folder up (the file stays: removing it would race with a host taking it).
    func release() {
        _ = ftruncate(fd, 0)
        close(fd)
    }
}

public struct DataFolderLockError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
