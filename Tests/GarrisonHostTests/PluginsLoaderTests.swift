import CGarrisonPlugin
import Foundation
import Logging
import Testing
@testable import GarrisonHost

/// Step 1 of the lifecycle: each broken fixture is refused before any of its code but the
/// entry runs, with the right code and a message an operator can act on.
@Suite struct PluginsLoaderTests {
    @Test(arguments: [
        ("bad_no_entry", PluginLoadError.Code.missingEntry, ["undefined symbol: garrison_plugin_entry_v1"]),
        ("bad_wrong_magic", .badMagic, ["0x534E5247", "plugin ABI \(PluginABI.version), host ABI \(PluginABI.version)"]),
        ("bad_major2", .majorMismatch, ["bad-major2 0.0.1", "plugin ABI 2.0, host ABI \(PluginABI.version)"]),
        ("bad_needs_newer_minor", .hostTooOld, ["bad-needs-newer-minor", "1.99", "plugin ABI \(PluginABI.version), host ABI \(PluginABI.version)"]),
        ("bad_truncated_descriptor", .descriptorTooSmall, ["struct_size 48", "(96 bytes)", "plugin ABI \(PluginABI.version), host ABI \(PluginABI.version)"]),
        ("bad_refuses_host", .refusedHost, ["returned NULL", "host ABI \(PluginABI.version)"]),
        ("bad_undefined_symbol", .dlopenFailed, ["undefined symbol: garrison_host_private_symbol"]),
        ("not_elf", .dlopenFailed, ["dlopen failed"]),
    ])
    func badFixtureIsRefused(fixture: String, code: PluginLoadError.Code, mentions: [String]) throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        let library = try folder.add("10-\(fixture).toml", fixture: fixture)
        let file = try PluginLoader.read(folder.filePath("10-\(fixture).toml"))
        #expect(throws: PluginLoadError.self) { try PluginLoader.open(file, taken: { _, _ in nil }) }
        do {
            _ = try PluginLoader.open(file, taken: { _, _ in nil })
        } catch {
            #expect(error.code == code)
            let message = error.description
            #expect(message.contains(folder.filePath("10-\(fixture).toml")), "names the plugins.d file: \(message)")
            #expect(message.contains(library), "names the library: \(message)")
            for text in mentions { #expect(message.contains(text), "mentions \(text): \(message)") }
        }
    }

    @Test func goodFixturesPassValidation() throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        for fixture in ["good_minimal", "old_minor", "probe", "hello-c"] {
            try folder.add("\(fixture).toml", fixture: fixture)
            let descriptor = try PluginLoader.open(try PluginLoader.read(folder.filePath("\(fixture).toml")), taken: { _, _ in nil })
            #expect(descriptor.abiMajor == 1)
        }
        let old = try PluginLoader.open(try PluginLoader.read(folder.filePath("old_minor.toml")), taken: { _, _ in nil })
        #expect(old.abi == "1.0")
        #expect(old.name == "old-minor")
        #expect(old.schema == "plugin_old_minor")
    }

    @Test func malformedTOMLNamesFileAndLine() throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.write("bad.toml", "library = \"/x.so\"\nenabled = maybe\n")
        #expect { try PluginLoader.read(folder.filePath("bad.toml")) } throws: { error in
            guard let error = error as? PluginLoadError else { return false }
            return error.code == .badFile && error.description.contains(folder.filePath("bad.toml") + ":2: ")
        }
    }

    @Test func unknownKeyIsRefused() throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.write("typo.toml", "library = \"/x.so\"\nenable = true\n")
        #expect { try PluginLoader.read(folder.filePath("typo.toml")) } throws: { error in
            guard let error = error as? PluginLoadError else { return false }
            return error.code == .badFile && error.description.contains("unknown key 'enable'")
        }
    }

    @Test func libraryOwnedBySomeoneElseIsRefused() throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        let library = try folder.add("10-x.toml", fixture: "good_minimal")
        if geteuid() == 0 {
            #expect(chown(library, 12345, 12345) == 0)
        } else {
            // Not root: the service user owns what it creates, so make the file root's... which
            // we cannot. A file we do not own is easy to find though: a system library.
            try folder.write("10-x.toml", "library = \"/bin/sh\"\n")
        }
        let file = try PluginLoader.read(folder.filePath("10-x.toml"))
        let error = #expect(throws: PluginLoadError.self) { try PluginLoader.open(file, taken: { _, _ in nil }) }
        if geteuid() == 0 {
            #expect(error?.code == .fileRefused)
            #expect(error?.description.contains("owned by uid 12345") == true)
        }
    }

    @Test(arguments: [0o775, 0o757, 0o666])
    func writableByGroupOrOthersIsRefused(mode: Int) throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        let library = try folder.add("10-x.toml", fixture: "good_minimal")
        chmod(library, mode_t(mode))
        let file = try PluginLoader.read(folder.filePath("10-x.toml"))
        let error = #expect(throws: PluginLoadError.self) { try PluginLoader.open(file, taken: { _, _ in nil }) }
        #expect(error?.code == .fileRefused)
        #expect(error?.description.contains("writable by group or others") == true)
    }

    @Test func writablePluginsFileIsRefused() throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-x.toml", fixture: "good_minimal")
        chmod(folder.filePath("10-x.toml"), 0o646)
        let error = #expect(throws: PluginLoadError.self) { try PluginLoader.read(folder.filePath("10-x.toml")) }
        #expect(error?.code == .fileRefused)
    }

    // Descriptors built in memory: what no fixture covers.

    @Test(arguments: [
        ("Hello", "not [a-z0-9_-]{1,48}"), ("", "not [a-z0-9_-]{1,48}"), (String(repeating: "a", count: 49), "not [a-z0-9_-]{1,48}"),
    ])
    func badNamesAreRefused(name: String, mention: String) {
        let error = Self.validate(name: name)
        #expect(error?.code == .badName)
        #expect(error?.description.contains(mention) == true)
    }

    @Test func swiftPluginFromAnotherToolchainIsRefused() {
        let error = Self.validate(name: "swifty", buildInfo: "swift-5.10.1 release")
        #expect(error?.code == .toolchainMismatch)
        #expect(error?.description.contains(PluginABI.swiftToolchain) == true)
        #expect(Self.validate(name: "swifty", buildInfo: PluginABI.swiftToolchain + " release") == nil)
    }

    @Test func missingInitIsRefused() {
        #expect(Self.validate(name: "noinit", withInit: false)?.code == .missingInit)
    }

    @Test func nameOrSchemaTakenIsRefused() {
        let taken = ["hello-c": "hello-c", "plugin_hello_c": "hello-c"]
        let sameName = Self.validate(name: "hello-c", taken: taken)
        #expect(sameName?.code == .duplicateName)
        #expect(sameName?.description.contains("already loaded") == true)
        let sameSchema = Self.validate(name: "hello_c", taken: taken)
        #expect(sameSchema?.code == .duplicateName)
        #expect(sameSchema?.description.contains("schema plugin_hello_c is already used by plugin hello-c") == true)
    }

    @Test func hostTableIsTheCurrentMinorAndComplete() {
        let api = HostAPITable.pointer.pointee
        #expect(api.struct_size == UInt32(MemoryLayout<garrison_host_api>.size))
        #expect(api.abi_major == 1 && api.abi_minor == PluginABI.minor)
        #expect(api.metric_add != nil && api.register_agent_member != nil && api.call_set_timeout != nil && api.register_route_scoped != nil && api.audit != nil && api.call_param != nil && api.log != nil && api.cancel != nil)
    }

    private static func validate(name: String, buildInfo: String = "test", withInit: Bool = true, taken: [String: String] = [:])
        -> PluginLoadError?
    {
        name.withCString { namePointer -> PluginLoadError? in
            buildInfo.withCString { buildPointer -> PluginLoadError? in
                "1.0".withCString { versionPointer -> PluginLoadError? in
                    var descriptor = garrison_plugin_descriptor()
                    descriptor.magic = UInt32(GARRISON_PLUGIN_MAGIC)
                    descriptor.struct_size = UInt32(MemoryLayout<garrison_plugin_descriptor>.size)
                    descriptor.abi_major = 1
                    descriptor.abi_minor = 1
                    descriptor.name = namePointer
                    descriptor.version = versionPointer
                    descriptor.build_info = buildPointer
                    if withInit { descriptor.plugin_init = { _, _, _ in 0 } }
                    var subject = PluginLoadError.Subject(file: "/etc/garrison/plugins.d/t.toml", library: "/t.so")
                    do {
                        _ = try withUnsafePointer(to: &descriptor) { pointer throws(PluginLoadError) in
                            try PluginLoader.validate(UnsafeRawPointer(pointer), &subject, taken: { taken[$0] ?? taken[$1] })
                        }
                        return nil
                    } catch {
                        return error as? PluginLoadError
                    }
                }
            }
        }
    }
}
