import Foundation

/// The data folder files a backup carries: the secrets a restored server needs to be the
/// same server to its agents and users. The self-signed TLS certificate and key (agents
/// may pin it; NATS TLS uses it too) and the key files plugins keep at the top of the data
/// folder (`${data_dir}/2fa.key`, which decrypts every stored TOTP secret).
///
/// Not carried, because they are made again: postgres/ (the cluster is the dump; its
/// passwords are new, and plugin roles get theirs at the first start), nats/ (nats-server's
/// config is written from the database at every start, and the host's own NATS password is
/// new each start; agents' NATS passwords are hashes in the database), and
/// initial-admin-password (the users are in the database).
enum DataFolderSecrets {
    static let fixed = ["tls/cert.pem", "tls/key.pem"]

    /// Relative paths of the files present, regular files only (a symlink points at
    /// something the operator keeps elsewhere, and backs up there).
    static func present(in data: URL) -> [String] {
        var names = fixed
        let top = (try? FileManager.default.contentsOfDirectory(atPath: data.path)) ?? []
        names += top.filter { $0.hasSuffix(".key") && !$0.hasPrefix(".") }.sorted()
        return names.filter { BackupArchive.validName(BackupArchive.dataPrefix + $0) && isRegularFile(data.appendingPathComponent($0)) }
    }

    static func isRegularFile(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }
}
