import CGarrisonPlugin

/// Fills the garrison_plugin_descriptor the entry returns.
enum Descriptor {
    /// The descriptor's size as C's sizeof gives it (stride includes the
    /// tail padding that sizeof counts).
    static let size = UInt32(MemoryLayout<garrison_plugin_descriptor>.stride)

    /// Writes the descriptor of `plugin` into `d`. False if a name or
    /// version has no static C string (a one-scalar StaticString is stored
    /// inline, not as a pointer): the entry then refuses to load.
    static func fill(
        _ d: UnsafeMutablePointer<garrison_plugin_descriptor>, for plugin: any GarrisonPlugin.Type
    ) -> Bool {
        guard let name = cString(plugin.name), let version = cString(plugin.version),
            let buildInfo = cString(BuildInfo.text)
        else { return false }

        var desc = garrison_plugin_descriptor()  // zeroed: reserved0, flags, reserved[]
        desc.magic = GARRISON_PLUGIN_MAGIC
        desc.struct_size = size
        desc.abi_major = UInt16(GARRISON_ABI_MAJOR)
        desc.abi_minor = UInt16(GARRISON_ABI_MINOR)
        desc.min_host_minor = plugin.minHostMinor
        desc.name = name
        desc.version = version
        desc.build_info = buildInfo
        desc.plugin_init = pluginKitInit
        desc.plugin_shutdown = pluginKitShutdown
        d.pointee = desc
        return true
    }

    /// The literal's own NUL-terminated bytes in the binary's read-only data.
    static func cString(_ s: StaticString) -> UnsafePointer<CChar>? {
        guard s.hasPointerRepresentation else { return nil }
        return UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}
