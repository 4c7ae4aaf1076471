import CGarrisonPlugin
import FuzzSupport
#if DEBUG
    @testable import GarrisonHost
#endif

// The descriptor a plugin's entry returns (garrison_plugin_descriptor), checked field by
// field by PluginLoader.validate before any of the plugin's code but the entry runs. The
// input fills the descriptor: bytes 0..<16 are magic, struct_size, abi_major, abi_minor,
// min_host_minor and reserved0 (little-endian); byte 16's bits make name, version,
// build_info or plugin_init NULL; the rest, split at NUL bytes, are the three strings.
// validate must accept or throw, never read outside the descriptor or the strings.

#if DEBUG
    @_cdecl("fuzz_plugin_init")
    func fuzzPluginInit(_: UnsafePointer<garrison_host_api>?, _: OpaquePointer?, _: UnsafeMutablePointer<UnsafeMutableRawPointer?>?)
        -> Int32
    { 0 }

    func exercise(_ input: UnsafeRawBufferPointer) {
        guard input.count >= 17 else { return }
        let header = Array(input.prefix(16))
        let flags = input[16]
        let parts = input.dropFirst(17).split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false).map { Array($0) + [0] }
        func text(_ index: Int) -> [CChar] { (index < parts.count ? parts[index] : [0]).map { CChar(bitPattern: $0) } }
        let name = text(0), version = text(1), buildInfo = text(2)
        name.withUnsafeBufferPointer { name in
            version.withUnsafeBufferPointer { version in
                buildInfo.withUnsafeBufferPointer { buildInfo in
                    var descriptor = garrison_plugin_descriptor()
                    withUnsafeMutableBytes(of: &descriptor) { raw in
                        for (offset, byte) in header.enumerated() { raw[offset] = byte }
                    }
                    descriptor.name = flags & 1 == 0 ? name.baseAddress : nil
                    descriptor.version = flags & 2 == 0 ? version.baseAddress : nil
                    descriptor.build_info = flags & 4 == 0 ? buildInfo.baseAddress : nil
                    descriptor.plugin_init = flags & 8 == 0 ? fuzzPluginInit : nil
                    var subject = PluginLoadError.Subject(file: "/etc/garrison/plugins.d/fuzz.toml", library: "/usr/lib/garrison/fuzz.so")
                    withUnsafeBytes(of: &descriptor) { raw in
                        let loaded = try? PluginLoader.validate(raw.baseAddress!, &subject) { name, schema in
                            name == "taken" || schema == "plugin_taken_too" ? "taken" : nil
                        }
                        if let loaded { precondition(PluginLoader.isValidName(loaded.name), "accepted the name \(loaded.name)") }
                    }
                }
            }
        }
    }

    FuzzDriver.run { exercise($0) }
#else
    print("The plugin descriptor target needs a debug build (it reaches PluginLoader through @testable import).")
#endif
