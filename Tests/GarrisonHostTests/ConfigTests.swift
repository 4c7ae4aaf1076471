import Foundation
import Testing
@testable import GarrisonHost

@Suite struct ConfigTests {
    func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "garrison-config-\(Crypto.randomHex(bytes: 4)).toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theExampleFileIsValidAndMatchesTheDefaults() throws {
        let config = try ConfigLoader.load(path: PackagePaths.root.appendingPathComponent("garrison.example.toml").path, environment: [:])
        #expect(config.serverPort == 8443)
        #expect(config.databasePoolSize == 10)
        #expect(config.pluginsDirectory == "./plugins.d")
    }

    @Test func environmentOverridesTheFile() throws {
        let path = try write("[server]\nport = 9000\n")
        let config = try ConfigLoader.load(
            path: path, environment: ["GARRISON_SERVER_PORT": "9443", "GARRISON_DATABASE_URL": "postgresql://x"])
        #expect(config.serverPort == 9443)
        #expect(config.databaseURL == "postgresql://x")
    }

    @Test(arguments: [
        ("[server]\nport = 8443\nprot = 1\n", 3, "unknown key 'server.prot'"),
        ("[server]\nport = \"8443\"\n", 2, "'server.port' must be a whole number"),
        ("[sever]\nport = 1\n", 1, "unknown section 'sever'"),
        ("[server]\nport = 70000\n", 2, "must be between 0 and 65535"),
        ("[log]\nlevel = \"loud\"\n", 2, "must be one of trace"),
        ("[server\nport = 1\n", 1, "expected"),
    ])
    func brokenFilesNameTheLineAndKey(_ text: String, _ line: Int, _ message: String) throws {
        let path = try write(text)
        do {
            _ = try ConfigLoader.load(path: path, environment: [:])
            Issue.record("accepted a broken file")
        } catch {
            #expect(error.file == path)
            #expect(error.line == line)
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test func badEnvironmentValuesAreNamed() throws {
        #expect(throws: ConfigError.self) { try ConfigLoader.load(path: nil, environment: ["GARRISON_SERVER_PORT": "eighty"]) }
        #expect(throws: ConfigError.self) { try ConfigLoader.load(path: nil, environment: ["GARRISON_SERVER_PROT": "1"]) }
    }

    @Test func checkConfigReportsABrokenPluginFileWithItsLine() throws {
        let directory = NSTemporaryDirectory() + "garrison-pluginsd-\(Crypto.randomHex(bytes: 4))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "library = \"/bin/true\"\nenabled = true\n".write(toFile: directory + "/10-good.toml", atomically: true, encoding: .utf8)
        try "library = \"/bin/true\"\nenabeld = true\n".write(toFile: directory + "/20-typo.toml", atomically: true, encoding: .utf8)
        try "library = \"/bin/true\"\n[settings\n".write(toFile: directory + "/30-syntax.toml", atomically: true, encoding: .utf8)
        let problems = PluginDirectoryCheck.problems(in: directory)
        #expect(problems.count == 2)
        #expect(problems.first?.contains("20-typo.toml:2: unknown key 'enabeld'") == true)
        #expect(problems.last?.contains("30-syntax.toml:2") == true)

        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GARRISON_") }
        environment["GARRISON_PLUGINS_DIR"] = directory
        let result = try Subprocess.run(PackagePaths.garrison.path, ["check-config"], environment: environment)
        #expect(result.status != 0)
        #expect(result.output.contains("20-typo.toml:2"))
    }

    @Test func pluginSettingsBecomeJSON() throws {
        let path = try write("library = \"lib.so\"\nrequired = true\n[settings]\ngreeting = \"hi\"\nretries = 3\n")
        let file = try PluginFile.load(path: path)
        #expect(file.required)
        #expect(file.enabled)
        #expect(file.library.hasSuffix("/lib.so"))
        let settings = try JSON.parse(Data(file.settingsJSON.utf8))
        #expect(settings == ["greeting": "hi", "retries": 3])
    }
}
