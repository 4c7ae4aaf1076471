import PluginKit

// The library's only exported symbol. Everything else in this module stays
// internal, so a release build exports nothing of ours but this.
@_cdecl("garrison_plugin_entry_v1")
public func garrisonPluginEntryV1(_ major: UInt16, _ minor: UInt16) -> UnsafeRawPointer? {
    PluginKit.entry(HelloSwift.self, major, minor)
}
