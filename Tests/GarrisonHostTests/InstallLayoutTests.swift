import Foundation
import Testing
import TwoFactorCore
@testable import GarrisonHost

/// scripts/install.sh and scripts/package-deb.sh: the standard layout under a temporary root,
/// started by hand from there (no systemd runs here) with every shipped plugin and the bundled
/// Swift runtime rather than the toolchain's; a second install keeps config and data; the .deb
/// holds the same layout, and where this runs as root on Debian with no garrison installed, it
/// is installed, checked, removed and purged.
@Suite(.serialized) struct InstallLayoutTests {
    static let install = PackagePaths.root.appendingPathComponent("scripts/install.sh").path
    static let shippedPlugins = [
        "libTwoFactorPlugin.so", "libChecksPlugin.so", "libScriptingPlugin.so", "libAlertsPlugin.so", "libAlertEmailPlugin.so", "libAgentActionsPlugin.so",
        "libPatchingPlugin.so", "libMeshCentralPlugin.so", "libURLActionsPlugin.so", "libSoftwarePlugin.so",
    ]

    @Test func anInstallIntoATemporaryRootServesEveryShippedPluginOnItsOwnRuntime() async throws {
        let root = try CrashRestartTests.temporaryFolder("install")
        defer { try? FileManager.default.removeItem(at: root) }
        let installed = try Self.run(Self.install, ["--root", root.path, "--build-dir", Self.buildFolder])
        #expect(installed.status == 0, "\(installed.output)")
        let me = geteuid()

        // The layout and its modes.
        let lib = root.appendingPathComponent("usr/lib/garrison")
        #expect(Self.mode(lib.appendingPathComponent("garrison")) == 0o755)
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: root.appendingPathComponent("usr/bin/garrison").path)
                == "../lib/garrison/garrison")
        for plugin in Self.shippedPlugins {
            #expect(Self.mode(lib.appendingPathComponent("plugins/\(plugin)")) == 0o644, "\(plugin)")
        }
        for runtime in ["libswiftCore.so", "libFoundation.so", "libFoundationEssentials.so", "libswift_Concurrency.so"] {
            #expect(Self.mode(lib.appendingPathComponent("lib/\(runtime)")) == 0o644, "\(runtime) is not bundled")
        }
        let etc = root.appendingPathComponent("etc/garrison")
        let config = etc.appendingPathComponent("garrison.toml")
        #expect(Self.mode(config) == 0o640)
        #expect(Self.owner(config) == me)
        let configText = try String(contentsOf: config, encoding: .utf8)
        #expect(configText.contains("dir = \"/var/lib/garrison\""))
        #expect(configText.contains("dir = \"/etc/garrison/plugins.d\""))
        #expect(Self.mode(etc.appendingPathComponent("plugins.d")) == 0o750)
        let shippedFiles = try FileManager.default.contentsOfDirectory(atPath: PackagePaths.root.appendingPathComponent("plugins.d").path)
            .filter { $0.hasSuffix(".toml") }.sorted()
        let installedFiles = try FileManager.default.contentsOfDirectory(atPath: etc.appendingPathComponent("plugins.d").path).sorted()
        #expect(installedFiles == shippedFiles)
        for name in shippedFiles {
            let copy = etc.appendingPathComponent("plugins.d/\(name)")
            #expect(Self.mode(copy) == 0o640, "\(name)")
            #expect(
                try Data(contentsOf: copy) == Data(contentsOf: PackagePaths.root.appendingPathComponent("plugins.d/\(name)")),
                "\(name) was changed")
        }
        let data = root.appendingPathComponent("var/lib/garrison")
        #expect(Self.mode(data) == 0o750)
        #expect(Self.owner(data) == me)
        let unit = root.appendingPathComponent("lib/systemd/system/garrison.service")
        #expect(try Data(contentsOf: unit) == Data(contentsOf: PackagePaths.root.appendingPathComponent("packaging/garrison.service")))
        try Self.verifyUnit(unit.path, missingBinaryAllowed: true)

        // The installed binary and config, started by hand, on a loopback port and plain HTTP;
        // data and plugins.d are the installed folders (the config names the real /var/lib and
        // /etc ones). No LD_LIBRARY_PATH: the run paths alone must find the bundled runtime.
        if me == 0 {
            // Run as root the host runs its PostgreSQL as the postgres user, which must enter the
            // data folder; the service runs it as garrison, the folder's owner, and needs no x bit.
            chmod(data.path, 0o711)
        }
        let port = FreePort.find()
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GARRISON_") && $0.key != "LD_LIBRARY_PATH" }
        environment["GARRISON_DATA_DIR"] = data.path
        environment["GARRISON_PLUGINS_DIR"] = etc.appendingPathComponent("plugins.d").path
        environment["GARRISON_SERVER_HOST"] = "127.0.0.1"
        environment["GARRISON_SERVER_PORT"] = String(port)
        environment["GARRISON_SERVER_PLAIN_HTTP"] = "true"
        let log = root.appendingPathComponent("serve.log")
        let pid = try ChildProcess.spawn(
            root.appendingPathComponent("usr/bin/garrison").path, ["serve", "--config", config.path], logFile: log, environment: environment
        )
        let exit = ChildExit()
        ChildProcess.watch(pid) { exit.exited($0) }
        defer {
            kill(pid, SIGTERM)
            if !exit.wait(timeout: 60) { kill(pid, SIGKILL) }
        }
        let http = HTTP(base: "http://127.0.0.1:\(port)")
        do {
            try await eventually("GET /core/status/ to answer 200", timeout: .seconds(60)) {
                if let code = exit.exitCode { throw TestFailure("the installed garrison serve exited (\(code))") }
                return try await http.call("GET", "/core/status/", maxTime: 5).status == 200
            }
        } catch {
            throw TestFailure("\(error); serve's log:\n\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }

        // One Swift runtime in the server, the bundled one; the plugins from the install.
        let toolchain = try #require(Self.toolchainFolder(), "cannot tell where this test process loaded libswiftCore.so from")
        let mapped = Self.mappedFiles(pid)
        #expect(mapped.contains(lib.appendingPathComponent("lib/libswiftCore.so").path), "\(mapped.sorted())")
        #expect(
            mapped.filter { $0.hasPrefix(toolchain + "/") }.isEmpty, "the installed server loads from the toolchain: \(mapped.sorted())")
        for plugin in Self.shippedPlugins {
            #expect(mapped.contains(lib.appendingPathComponent("plugins/\(plugin)").path), "\(plugin) is not loaded from the install")
            // A plugin's own run path leads to the same copy (not only the host's already loaded one).
            let listing = try Self.run("/usr/bin/ldd", [lib.appendingPathComponent("plugins/\(plugin)").path], environment: environment)
                .output
            #expect(listing.contains("libswiftCore.so => \(lib.path)/plugins/../lib/libswiftCore.so"), "\(plugin): \(listing)")
            #expect(!listing.contains(toolchain + "/"), "\(plugin): \(listing)")
        }

        // Every shipped plugin runs: two-factor is required, so the admin enrolls first.
        let password = try String(contentsOf: data.appendingPathComponent("initial-admin-password"), encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let first = try await http.call("POST", "/v2/login/", json: ["username": "admin", "password": .string(password)])
        let limited = try #require(first.json["token"]?.stringValue, "\(first.text)")
        let setup = try await http.call("POST", "/accounts/users/setup_totp/", token: limited)
        let secret = try #require(Base32.decode(setup.json["secret"]?.stringValue ?? ""), "\(setup.text)")
        let now = Int64(Date().timeIntervalSince1970)
        let confirmed = try await http.call(
            "POST", "/accounts/users/confirm_totp/", token: limited, json: ["code": .string(TOTP(secret: secret).code(at: now - 30))])
        #expect(confirmed.status == 200, "\(confirmed.text)")
        let full = try await http.call(
            "POST", "/v2/login/",
            json: ["username": "admin", "password": .string(password), "twofactor": .string(TOTP(secret: secret).code(at: now))])
        let admin = try #require(full.json["token"]?.stringValue, "\(full.text)")
        let plugins = try await http.call("GET", "/core/plugins/", token: admin)
        let states = Dictionary(
            uniqueKeysWithValues: (plugins.json.arrayValue ?? []).compactMap { entry -> (String, String)? in
                guard let name = entry["name"]?.stringValue else { return nil }
                return (name, entry["state"]?.stringValue ?? "")
            })
        #expect(
            states == [
                "twofactor": "running", "check": "running", "scripting": "running", "alert": "running", "alert_email": "running",
                "alert_sms": "running", "urlaction": "running", "agent_actions": "running", "winupdate": "running", "meshcentral": "running",
                "software": "running",
            ],
            "\(plugins.text)")
        #expect(Self.mode(data.appendingPathComponent("2fa.key")) == 0o600)
    }

    /// A second install replaces the binary and keeps garrison.toml, plugins.d and the data.
    @Test func installingAgainKeepsTheConfigAndDataAndReplacesTheBinary() throws {
        let root = try CrashRestartTests.temporaryFolder("reinstall")
        defer { try? FileManager.default.removeItem(at: root) }
        let first = try Self.run(Self.install, ["--root", root.path, "--build-dir", Self.buildFolder])
        try #require(first.status == 0, "\(first.output)")
        let config = root.appendingPathComponent("etc/garrison/garrison.toml")
        let checks = root.appendingPathComponent("etc/garrison/plugins.d/40-checks.toml")
        let marker = root.appendingPathComponent("var/lib/garrison/marker")
        let binary = root.appendingPathComponent("usr/lib/garrison/garrison")
        let changedConfig = "[server]\nport = 9443\n"
        try changedConfig.write(to: config, atomically: false, encoding: .utf8)
        let changedChecks = try String(contentsOf: checks, encoding: .utf8).replacingOccurrences(
            of: "enabled = true", with: "enabled = false")
        try changedChecks.write(to: checks, atomically: false, encoding: .utf8)
        try "kept".write(to: marker, atomically: false, encoding: .utf8)
        try "#!/bin/sh\necho old\n".write(to: binary, atomically: false, encoding: .utf8)

        let second = try Self.run(Self.install, ["--root", root.path, "--build-dir", Self.buildFolder])
        #expect(second.status == 0, "\(second.output)")
        #expect(try String(contentsOf: config, encoding: .utf8) == changedConfig)
        #expect(try String(contentsOf: checks, encoding: .utf8) == changedChecks)
        #expect(try String(contentsOf: marker, encoding: .utf8) == "kept")
        #expect(second.output.contains("kept the existing /etc/garrison/garrison.toml"), "\(second.output)")
        let version = try Self.run(binary.path, ["--version"])
        #expect(version.status == 0 && version.output.contains(GarrisonVersion.string), "the binary was not replaced: \(version.output)")
    }

    @Test func badArgumentsAreRefusedWithAMessageAndInstallNothing() throws {
        let root = try CrashRestartTests.temporaryFolder("badinstall")
        defer { try? FileManager.default.removeItem(at: root) }
        let notAFolder = root.appendingPathComponent("file")
        try "".write(to: notAFolder, atomically: false, encoding: .utf8)
        let target = root.appendingPathComponent("target").path
        let cases: [([String], String)] = [
            (["--root", target, "--build", "fast"], "--build must be debug or release, not 'fast'"),
            (["--root", target, "--build-dir", root.appendingPathComponent("missing").path], "no build folder"),
            (["--root", target, "--build-dir", root.path], "no garrison executable in"),
            (["--root", notAFolder.path, "--build-dir", Self.buildFolder], "is not a folder"),
            (["--root"], "--root needs a value"),
            (["--roots", target], "unknown argument '--roots'"),
        ]
        for (arguments, message) in cases {
            let result = try Self.run(Self.install, arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.output.contains(message), "\(arguments): \(result.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: target + "/usr"), "a refused install left files behind")
    }

    /// The .deb: its control data and contents; installed into this machine when that is
    /// possible (root, Debian, nothing of garrison there yet), then removed and purged.
    @Test func theDebianPackageInstallsChecksAndPurges() async throws {
        let built = try Self.run(
            PackagePaths.root.appendingPathComponent("scripts/package-deb.sh").path, ["--build", "debug", "--skip-build"])
        try #require(built.status == 0, "\(built.output)")
        let deb = try #require(built.output.split(separator: "\n").last.map(String.init))
        #expect(deb.hasSuffix("/.build/deb/garrison_\(GarrisonVersion.string)_amd64.deb"), "\(deb)")

        let field = { (name: String) throws -> String in
            try Self.run("/usr/bin/dpkg-deb", ["-f", deb, name]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try field("Package") == "garrison")
        #expect(try field("Version") == GarrisonVersion.string)
        let depends = try field("Depends").components(separatedBy: ", ").map { $0.components(separatedBy: " ")[0] }
        for package in ["libpq5", "libssl3", "libnats3.4", "libmsgpackc2", "libqrencode4", "zlib1g", "libc6", "postgresql", "nats-server"] {
            #expect(depends.contains(package), "Depends lacks \(package): \(depends)")
        }
        let info = try Self.run("/usr/bin/dpkg-deb", ["--info", deb, "conffiles"]).output.split(separator: "\n").map(String.init).sorted()
        let shipped = try FileManager.default.contentsOfDirectory(atPath: PackagePaths.root.appendingPathComponent("plugins.d").path).filter
        { $0.hasSuffix(".toml") }
        #expect(info == (["/etc/garrison/garrison.toml"] + shipped.map { "/etc/garrison/plugins.d/\($0)" }).sorted())
        let contents = try Self.run("/usr/bin/dpkg-deb", ["--contents", deb]).output
        for entry in [
            "./usr/lib/garrison/garrison", "./usr/lib/garrison/lib/libswiftCore.so", "./lib/systemd/system/garrison.service",
            "./usr/bin/garrison -> ../lib/garrison/garrison", "-rw-r----- root/root",
        ] + Self.shippedPlugins.map({ "./usr/lib/garrison/plugins/\($0)" }) {
            #expect(contents.contains(entry), "the package lacks \(entry)")
        }
        #expect(!contents.contains("./var/"), "the data folder is postinst's to make, not the package's")
        let owners = Set(
            contents.split(separator: "\n").compactMap {
                $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init)
            })
        #expect(owners == ["root/root"], "every file in the package belongs to root: \(owners)")

        if let blocker = Self.dpkgInstallBlocker() {
            print("InstallLayoutTests: dpkg -i skipped: \(blocker)")
            try Test.cancel("dpkg -i of the package skipped: \(blocker)")
        }
        let userExisted = getpwnam("garrison") != nil
        defer {
            _ = try? Self.run("/usr/bin/dpkg", ["--purge", "garrison"])
            if !userExisted { _ = try? Self.run("/usr/sbin/userdel", ["garrison"]) }
        }
        let installed = try Self.run("/usr/bin/dpkg", ["-i", deb])
        try #require(installed.status == 0, "\(installed.output)")
        let account = try #require(getpwnam("garrison")?.pointee, "postinst made no garrison user")
        #expect(Self.owner(URL(fileURLWithPath: "/var/lib/garrison")) == account.pw_uid)
        #expect(Self.mode(URL(fileURLWithPath: "/var/lib/garrison")) == 0o750)
        var info2 = stat()
        #expect(
            stat("/etc/garrison/garrison.toml", &info2) == 0 && info2.st_gid == account.pw_gid && info2.st_mode & 0o777 == 0o640,
            "garrison.toml must be root:garrison 0640")
        let check = try Self.run("/usr/bin/garrison", ["check-config", "--config", "/etc/garrison/garrison.toml"])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("/etc/garrison/plugins.d: ok"), "\(check.output)")
        try Self.verifyUnit("/lib/systemd/system/garrison.service", missingBinaryAllowed: false)

        // As the unit runs it: the garrison user, whose private PostgreSQL then runs as garrison too.
        let folder = try CrashRestartTests.temporaryFolder("deb")
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = FreePort.find()
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GARRISON_") && $0.key != "LD_LIBRARY_PATH" }
        environment["GARRISON_SERVER_HOST"] = "127.0.0.1"
        environment["GARRISON_SERVER_PORT"] = String(port)
        environment["GARRISON_SERVER_PLAIN_HTTP"] = "true"
        let log = folder.appendingPathComponent("serve.log")
        let pid = try ChildProcess.spawn(
            "/usr/bin/garrison", ["serve", "--config", "/etc/garrison/garrison.toml"], logFile: log,
            user: (account.pw_uid, account.pw_gid), environment: environment)
        let exit = ChildExit()
        ChildProcess.watch(pid) { exit.exited($0) }
        do {
            try await eventually("the packaged server, as garrison, to answer GET /core/status/", timeout: .seconds(60)) {
                if let code = exit.exitCode { throw TestFailure("the packaged garrison serve exited (\(code))") }
                return try await HTTP(base: "http://127.0.0.1:\(port)").call("GET", "/core/status/", maxTime: 5).status == 200
            }
        } catch {
            kill(pid, SIGKILL)
            throw TestFailure("\(error); serve's log:\n\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
        kill(pid, SIGTERM)
        if !exit.wait(timeout: 60) { kill(pid, SIGKILL) }
        #expect(FileManager.default.fileExists(atPath: "/var/lib/garrison/2fa.key"))

        let removed = try Self.run("/usr/bin/dpkg", ["-r", "garrison"])
        #expect(removed.status == 0, "\(removed.output)")
        #expect(!FileManager.default.fileExists(atPath: "/usr/lib/garrison/garrison"))
        #expect(FileManager.default.fileExists(atPath: "/etc/garrison/garrison.toml"), "remove must keep the config")
        #expect(FileManager.default.fileExists(atPath: "/var/lib/garrison/2fa.key"), "remove must keep the data")
        let purged = try Self.run("/usr/bin/dpkg", ["--purge", "garrison"])
        #expect(purged.status == 0, "\(purged.output)")
        for path in [
            "/etc/garrison", "/var/lib/garrison", "/usr/lib/garrison", "/usr/bin/garrison",
            "/etc/systemd/system/multi-user.target.wants/garrison.service",
        ] {
            #expect(!FileManager.default.fileExists(atPath: path), "\(path) is left after purge")
        }
        #expect(try Self.run("/usr/bin/dpkg-query", ["-W", "-f=${Status}", "garrison"]).output.contains("installed") == false)
    }

    // MARK: helpers

    /// The folder the tests' own garrison was built into (.build/debug, by swift build --build-tests).
    static var buildFolder: String { PackagePaths.garrison.deletingLastPathComponent().path }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessOutput {
        try Subprocess.run(executable, arguments, environment: environment)
    }

    static func mode(_ url: URL) -> mode_t? {
        var info = stat()
        return lstat(url.path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    static func owner(_ url: URL) -> uid_t? {
        var info = stat()
        return lstat(url.path, &info) == 0 ? info.st_uid : nil
    }

    /// The files a process has mapped (its executable, libraries and dlopen-ed plugins).
    static func mappedFiles(_ pid: pid_t) -> Set<String> {
        // Read to the end rather than by the size stat reports: procfs files report 0 bytes.
        let maps = String(decoding: FileHandle(forReadingAtPath: "/proc/\(pid)/maps")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        return Set(
            maps.split(separator: "\n").compactMap { line in
                line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(5).first.map(String.init).flatMap {
                    $0.hasPrefix("/") ? $0 : nil
                }
            })
    }

    /// Where this test process got its Swift runtime: the toolchain's library folder.
    static func toolchainFolder() -> String? {
        mappedFiles(getpid()).first { $0.hasSuffix("/libswiftCore.so") }.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
    }

    /// systemd-analyze verify (Debian's systemd package; it needs no running systemd). An
    /// install under a temporary root has no /usr/bin/garrison, which is all it may say then.
    static func verifyUnit(_ path: String, missingBinaryAllowed: Bool) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            print("InstallLayoutTests: systemd-analyze verify skipped: /usr/bin/systemd-analyze is missing (Debian package systemd)")
            return
        }
        let result = try run("/usr/bin/systemd-analyze", ["verify", path])
        let complaints = result.output.split(separator: "\n").map(String.init).filter {
            !(missingBinaryAllowed && $0.contains("Command /usr/bin/garrison is not executable"))
        }
        #expect(complaints.isEmpty, "systemd-analyze verify \(path): \(result.output)")
    }

    /// Why `dpkg -i` cannot run here, or nil. It changes the machine, so only as root on
    /// Debian and only where no garrison (package, install or run.sh data) is there to lose.
    static func dpkgInstallBlocker() -> String? {
        if geteuid() != 0 { return "not running as root" }
        if !FileManager.default.fileExists(atPath: "/etc/debian_version") { return "not a Debian system" }
        for path in ["/etc/garrison", "/var/lib/garrison", "/usr/lib/garrison", "/usr/bin/garrison"]
        where FileManager.default.fileExists(atPath: path) {
            return "\(path) exists (an install or a run.sh data folder this test must not touch)"
        }
        if let status = try? run("/usr/bin/dpkg-query", ["-W", "-f=${Status}", "garrison"]), status.status == 0,
            status.output.contains("installed")
        {
            return "a garrison package is installed"
        }
        let missing = ["postgresql", "nats-server", "libnats3.4", "libmsgpackc2", "libqrencode4"].filter {
            !((try? run("/usr/bin/dpkg-query", ["-W", "-f=${Status}", $0]))?.output.contains("ok installed") ?? false)
        }
        if !missing.isEmpty {
            return "dependencies not installed: \(missing.joined(separator: ", ")) (dpkg -i would fail; scripts/install-deps.sh)"
        }
        return nil
    }
}
