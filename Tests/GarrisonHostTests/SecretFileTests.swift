import Foundation
import Logging
import Testing
@testable import GarrisonHost

/// Files holding secrets are 0600 from the moment they exist, and the host changes nothing
/// outside its data folder.
@Suite(.serialized) struct SecretFileTests {
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    /// Even with a umask of 0 (what would make a file created with the default mode 0666).
    @Test func aSecretIsCreated0600WhateverTheUmask() throws {
        let folder = try CrashRestartTests.temporaryFolder("secret")
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("key.pem")
        let previous = umask(0)
        defer { umask(previous) }
        try SecretFile.write("secret", to: target)
        #expect(Self.mode(target.path) == 0o600)
        #expect(try String(contentsOf: target, encoding: .utf8) == "secret")
        // Replacing it keeps the mode, and leaves no temporary file behind.
        try SecretFile.write("other", to: target)
        #expect(Self.mode(target.path) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["key.pem"])
    }

    @Test func theSelfSignedKeyAndTheAdminPasswordAre0600() async throws {
        let folder = try CrashRestartTests.temporaryFolder("tlskey")
        defer { try? FileManager.default.removeItem(at: folder) }
        let previous = umask(0)
        defer { umask(previous) }
        let (files, created) = try SelfSignedCertificate.ensure(in: folder, hostnames: ["localhost"])
        #expect(created)
        #expect(Self.mode(files.key.path) == 0o600)
        try await TestHost.with { host in
            let path = host.server.config.dataURL.appendingPathComponent("initial-admin-password").path
            #expect(Self.mode(path) == 0o600)
        }
    }

    /// The embedded cluster's password files: garrison.password 0600, initdb.pw gone; and a
    /// parent the postgres user cannot enter is named, not opened up.
    @Test(.enabled(if: geteuid() == 0)) func aParentThePostgresUserCannotEnterIsNamedNotChanged() throws {
        let folder = try CrashRestartTests.temporaryFolder("pgparent")
        defer { try? FileManager.default.removeItem(at: folder) }
        let closed = folder.appendingPathComponent("closed")
        try FileManager.default.createDirectory(at: closed, withIntermediateDirectories: true)
        chmod(closed.path, 0o700)
        let cluster = EmbeddedPostgres(root: closed.appendingPathComponent("data/postgres"), logger: Logger(label: "t"))
        let error = #expect(throws: EmbeddedPostgresError.self) { try cluster.start() }
        #expect(error?.description.contains("cannot enter \(closed.path) (owner uid 0, mode 700)") == true, "\(error?.description ?? "")")
        #expect(Self.mode(closed.path) == 0o700)

        chmod(closed.path, 0o711)
        try cluster.start()
        defer { cluster.stop(immediate: true) }
        #expect(Self.mode(cluster.passwordFile.path) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: cluster.root.appendingPathComponent("initdb.pw").path))
        #expect(Self.mode(closed.path) == 0o711)
    }
}
