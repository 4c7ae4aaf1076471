import Foundation
import Testing
import TwoFactorCore
@testable import GarrisonHost

/// The two-factor key made on first start (`generate_key_file`, as the shipped plugins.d file
/// has it): created with mode 0600 where `${data_dir}` points, never replaced afterwards, and
/// refused without a file to make.
@Suite struct TwoFactorKeyFileTests {
    static let generated = "required = true\nsecret_key_file = \"${data_dir}/2fa.key\"\ngenerate_key_file = true"

    @Test func theKeyIsMadeInTheDataFolderWithMode0600() async throws {
        let folder = try PluginsTwoFactorTests.folder(settings: Self.generated)
        defer { folder.cleanUp() }
        try await TestHost.with(plugins: folder) { host in
            let key = host.server.config.dataURL.appendingPathComponent("2fa.key")
            var info = stat()
            #expect(stat(key.path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600)
            let text = try String(contentsOf: key, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(Data(base64Encoded: text)?.count == 32)
            let plugins = try await host.request(.get, "/core/plugins/", as: .token(try await PluginsTwoFactorTests.admin(host).token))
            #expect(plugins.json.arrayValue?.first?["state"] == "running", "\(plugins.text)")
        }
    }

    /// A key that exists is the one every stored secret is sealed with: kept as it is.
    @Test func anExistingKeyIsNeverReplaced() async throws {
        let directory = try CrashRestartTests.temporaryFolder("2fakey")
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = directory.appendingPathComponent("kept.key")
        let existing = Data(try Random.bytes(32)).base64EncodedString() + "\n"
        try existing.write(to: key, atomically: false, encoding: .utf8)
        chmod(key.path, 0o600)
        let folder = try PluginsTwoFactorTests.folder(settings: "secret_key_file = \"\(key.path)\"\ngenerate_key_file = true")
        defer { folder.cleanUp() }
        try await TestHost.with(plugins: folder) { _ in }
        #expect(try String(contentsOf: key, encoding: .utf8) == existing)
    }

    @Test func generateWithoutAFileIsRefusedByName() async throws {
        let folder = try PluginsTwoFactorTests.folder(settings: "generate_key_file = true")
        defer { folder.cleanUp() }
        let (logger, logs) = CapturingLogHandler.logger()
        let listing = await GarrisonHostServer.inspectPlugins(
            config: {
                var config = GarrisonConfig()
                config.pluginsDirectory = folder.path
                config.dataDirectory = folder.path + "-data"
                return config
            }(), logger: logger)
        defer { try? FileManager.default.removeItem(atPath: folder.path + "-data") }
        #expect(listing.first?["state"] == "failed")
        #expect(!logs.errors(mentioning: "generate_key_file needs secret_key_file").isEmpty, "\(logs.all.map(\.message))")
    }
}
