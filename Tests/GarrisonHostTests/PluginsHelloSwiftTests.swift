import Foundation
import Testing
@testable import GarrisonHost

/// The Swift example plugin, built with PluginKit, loaded by the real host from plugins.d.
@Suite struct PluginsHelloSwiftTests {
    static var library: URL {
        URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent().appendingPathComponent("libHelloSwiftPlugin.so")
    }

    @Test func theSwiftExampleLoadsAndServesThroughTheHost() async throws {
        let source = Self.library
        try #require(
            FileManager.default.fileExists(atPath: source.path), "build the HelloSwiftPlugin product first (swift build --build-tests)")
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        let copy = folder.libraries.appendingPathComponent("libHelloSwiftPlugin.so")
        try FileManager.default.copyItem(at: source, to: copy)
        chmod(copy.path, 0o755)
        try folder.write("20-hello-swift.toml", "library = \"\(copy.path)\"\n[settings]\ngreeting = \"hello from Swift\"\n")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            let plugins = try await host.request(.get, "/core/plugins/", as: .token(admin))
            let entry =
                plugins.json.arrayValue?.first { $0["name"] == "hello-swift" }
                ?? plugins.json["plugins"]?.arrayValue?.first { $0["name"] == "hello-swift" }
            #expect(entry?["state"] == "running", "\(plugins.text)")
            let greeting = try await host.request(.get, "/hello-swift/", as: .token(admin))
            #expect(greeting.status == 200)
            #expect(greeting.json["greeting"] == "hello from Swift")
            #expect(try await host.request(.get, "/hello-swift/").status == 401)
        }
    }
}
