import Foundation
import FuzzSupport
import GarrisonHost

// One plugins.d file as the loader reads it (Plugins/PluginFile.swift): TOML, known keys,
// types, the library path made absolute, [settings] turned into the JSON the plugin gets.
// Any text must give a PluginFile or a ConfigError; a PluginFile's library is an absolute
// path and its settings a JSON object.

FuzzDriver.run { input in
    let text = String(decoding: input, as: UTF8.self)
    guard let file = try? PluginFile.parse(text, path: "/etc/garrison/plugins.d/fuzz.toml") else { return }
    precondition(file.library.hasPrefix("/"), "library path not absolute: \(file.library)")
    guard case .object? = try? JSON.parse(Data(file.settingsJSON.utf8)) else {
        fatalError("settings are not a JSON object: \(file.settingsJSON)")
    }
}
