import CGarrisonPlugin

// The plugin's one exported symbol is a @_cdecl function in the plugin that
// forwards here. PluginKit is linked into each plugin library on its own, so
// these globals are per plugin.

/// The plugin type the entry chose; read by plugin_init, which the host calls
/// after the entry on the same thread, so no lock is needed.
nonisolated(unsafe) var loadedPluginType: (any GarrisonPlugin.Type)?

/// Storage for the descriptor. Swift gives no stable address for a global
/// variable, so it is allocated once, on the first entry call, and never
/// freed: the header wants it valid for the life of the process.
nonisolated(unsafe) let descriptorStorage: UnsafeMutablePointer<garrison_plugin_descriptor> = {
    let storage = UnsafeMutablePointer<garrison_plugin_descriptor>.allocate(capacity: 1)
    storage.initialize(to: garrison_plugin_descriptor())
    return storage
}()

/// The body of a plugin's `garrison_plugin_entry_v1`:
///
///     @_cdecl("garrison_plugin_entry_v1")
///     public func entry(_ major: UInt16, _ minor: UInt16) -> UnsafeRawPointer? {
///         PluginKit.entry(MyPlugin.self, major, minor)
///     }
///
/// Returns the plugin's descriptor, or nil (the host logs a refusal) for a
/// host of another ABI major. The host compares min_host_minor itself, so
/// the descriptor is returned to older 1.x hosts too and refused with a
/// clear log line there. One plugin type per library.
public func entry<P: GarrisonPlugin>(
    _ plugin: P.Type, _ hostMajor: UInt16, _ hostMinor: UInt16
) -> UnsafeRawPointer? {
    guard hostMajor == UInt16(GARRISON_ABI_MAJOR) else { return nil }
    if let loaded = loadedPluginType {
        return loaded == P.self ? UnsafeRawPointer(descriptorStorage) : nil
    }
    guard Descriptor.fill(descriptorStorage, for: P.self) else { return nil }
    loadedPluginType = P.self
    return UnsafeRawPointer(descriptorStorage)
}
