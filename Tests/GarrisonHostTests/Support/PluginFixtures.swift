import Foundation
import Testing
#if canImport(Glibc)
    import Glibc
#endif
@testable import GarrisonHost

/// The C plugin fixtures, built into `.build/fixtures` by scripts/test.sh, or here with make
/// when a test runs without it (make skips what is up to date).
enum PluginFixtures {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let directory = packageRoot.appendingPathComponent(".build/fixtures")

    /// Runs make once per test process.
    static let built: Result<URL, TestFailure> = {
        for folder in ["Tests/Fixtures/Plugins", "Plugins/Examples/hello-c"] {
            // Subprocess, not Foundation.Process with a pipe: a server another test starts at
            // the same moment must not inherit the pipe and keep it open.
            guard let make = Subprocess.which("make") else { return .failure(TestFailure("make is not installed")) }
            let result: ProcessOutput
            do {
                result = try Subprocess.run(make, ["-s", "-C", packageRoot.appendingPathComponent(folder).path, "OUT=\(directory.path)"])
            } catch {
                return .failure(TestFailure("cannot run make for \(folder): \(error)"))
            }
            if result.status != 0 { return .failure(TestFailure("make -C \(folder) failed:\n\(result.output)")) }
        }
        return .success(directory)
    }()

    /// The built library: "good_minimal" -> good_minimal.so, "hello-c" -> libhello-c.so.
    static func library(_ name: String) throws -> URL {
        let directory = try built.get()
        return directory.appendingPathComponent(name == "hello-c" ? "libhello-c.so" : "\(name).so")
    }
}

/// A plugins.d folder of its own for one test. Libraries are copied in: dlopen() maps one
/// image per file, so copies keep tests' plugin globals (and counters) apart.
final class PluginFolder: Sendable {
    let url: URL
    let libraries: URL

    init() throws {
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-plugins-\(Crypto.randomHex(bytes: 6))")
        url = root.appendingPathComponent("plugins.d")
        libraries = root.appendingPathComponent("lib")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: libraries, withIntermediateDirectories: true)
        // The folders are created with the umask; make sure neither is group/other-writable.
        chmod(url.path, 0o755)
        chmod(libraries.path, 0o755)
    }

    var path: String { url.path }

    /// Copies `fixture` in (once per copy name) and returns the copy's path.
    @discardableResult
    func copy(_ fixture: String, as name: String? = nil) throws -> String {
        let target = libraries.appendingPathComponent((name ?? fixture) + ".so")
        if !FileManager.default.fileExists(atPath: target.path) {
            try FileManager.default.copyItem(at: try PluginFixtures.library(fixture), to: target)
            chmod(target.path, 0o755)
        }
        return target.path
    }

    /// Copies the plugin library `name` that the package built next to this test bundle
    /// ("libChecksPlugin.so") in, and returns the copy's path.
    @discardableResult
    func copyBuilt(_ name: String) throws -> String {
        let built = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent().appendingPathComponent(name)
        try #require(FileManager.default.fileExists(atPath: built.path), "build the plugin products first (swift build --build-tests): \(name)")
        let copy = libraries.appendingPathComponent(name)
        try FileManager.default.copyItem(at: built, to: copy)
        chmod(copy.path, 0o755)
        return copy.path
    }

    /// Writes `plugins.d/<file>` for `fixture` and returns the library copy's path.
    @discardableResult
    func add(
        _ file: String, fixture: String, enabled: Bool = true, required: Bool = false, settings: String = "", libraryName: String? = nil
    ) throws -> String {
        let library = try copy(fixture, as: libraryName)
        try write(
            file,
            "library = \"\(library)\"\nenabled = \(enabled)\nrequired = \(required)\n"
                + (settings.isEmpty ? "" : "\n[settings]\n\(settings)\n"))
        return library
    }

    func write(_ file: String, _ text: String) throws {
        let target = url.appendingPathComponent(file)
        try text.write(to: target, atomically: true, encoding: .utf8)
        chmod(target.path, 0o644)
    }

    func remove(_ file: String) throws {
        try FileManager.default.removeItem(at: url.appendingPathComponent(file))
    }

    func filePath(_ file: String) -> String { url.appendingPathComponent(file).path }

    /// An exported `atomic_int` of a loaded copy (test probes such as garrison_fixture_free_calls).
    func counter(_ library: String, _ symbol: String) throws -> Int32 {
        guard let handle = dlopen(library, RTLD_NOW | RTLD_NOLOAD) else { throw TestFailure("\(library) is not loaded") }
        guard let address = dlsym(handle, symbol) else { throw TestFailure("\(library) has no \(symbol)") }
        return address.assumingMemoryBound(to: Int32.self).pointee
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: url.deletingLastPathComponent())
    }
}

extension TestHost {
    /// A host whose plugins.d is `folder`, with short plugin deadlines so timeouts are quick to
    /// test; with the agent bus when `bus` (an offline agent's commands are then queued).
    static func with<T: Sendable>(
        plugins folder: PluginFolder, callTimeoutMS: Int = 15_000, drainTimeoutMS: Int = 300, bus: Bool = false,
        _ body: @Sendable (TestHost) async throws -> T
    ) async throws -> T {
        try await with(
            configure: { config in
                config.pluginsDirectory = folder.path
                config.pluginCallTimeoutMS = callTimeoutMS
                config.pluginDrainTimeoutMS = drainTimeoutMS
                config.natsEnabled = bus
            }, body)
    }

    /// Polls `condition` until it holds or `seconds` pass (for asynchronous deliveries).
    func eventually(_ seconds: Double = 5, _ condition: @Sendable () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}
