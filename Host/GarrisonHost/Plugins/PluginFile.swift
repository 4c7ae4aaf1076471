import Foundation

/// One plugins.d file: which library, whether it is on, whether the host may start without
/// it, and its `[settings]`, handed to the plugin as JSON.
public struct PluginFile: Sendable, Equatable {
    public let path: String
    public let library: String
    public let enabled: Bool
    public let required: Bool
    public let settingsJSON: String

    static let keys: Set<String> = ["library", "enabled", "required", "settings"]

    public static func load(path: String) throws(ConfigError) -> PluginFile {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(file: path, line: nil, message: "cannot read the file: \(error.localizedDescription)")
        }
        return try parse(text, path: path)
    }

    /// Parses text already read (by the loader, from the descriptor it checked).
    public static func parse(_ text: String, path: String) throws(ConfigError) -> PluginFile {
        let table: TOMLTable
        do { table = try TOMLParser.parse(text) } catch { throw ConfigError(file: path, line: error.line, message: error.message) }
        for key in table.keys where !keys.contains(key) {
            throw ConfigError(
                file: path, line: table.line(of: key),
                message: "unknown key '\(key)' (a plugin file has library, enabled, required and a [settings] table)")
        }
        guard let libraryValue = table["library"] else {
            throw ConfigError(file: path, line: nil, message: "missing 'library' (the path of the plugin's shared library)")
        }
        guard let named = libraryValue.stringValue, !named.isEmpty else {
            throw ConfigError(file: path, line: table.line(of: "library"), message: "'library' must be a non-empty string")
        }
        let library = PluginLibraryPath.resolve(named, file: path)
        func flag(_ key: String, _ fallback: Bool) throws(ConfigError) -> Bool {
            guard let value = table[key] else { return fallback }
            guard let bool = value.boolValue else {
                throw ConfigError(file: path, line: table.line(of: key), message: "'\(key)' must be true or false")
            }
            return bool
        }
        let settings: String
        switch table["settings"] {
        case nil: settings = "{}"
        case .table(let inner)?: settings = inner.jsonString()
        default: throw ConfigError(file: path, line: table.line(of: "settings"), message: "'settings' must be a table ([settings])")
        }
        return PluginFile(
            path: path, library: library, enabled: try flag("enabled", true), required: try flag("required", false), settingsJSON: settings)
    }
}
