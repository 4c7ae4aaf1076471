import PluginKit

// The library's only exported symbol.
@_cdecl("garrison_plugin_entry_v1")
public func garrisonPluginEntryV1(_ major: UInt16, _ minor: UInt16) -> UnsafeRawPointer? {
    PluginKit.entry(AlertChat.self, major, minor)
}
