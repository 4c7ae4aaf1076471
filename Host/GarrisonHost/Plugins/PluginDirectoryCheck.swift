import Foundation

/// Validates every `*.toml` file in plugins.d without loading any library: owner and mode,
/// TOML syntax, known keys, types, and that the named library exists with a safe owner and
/// mode. Used by `check-config`; `garrison plugins` goes further and loads them.
public enum PluginDirectoryCheck {
    public static func problems(in directory: String) -> [String] {
        guard let paths = PluginLoader.files(in: directory) else {
            return FileManager.default.fileExists(atPath: directory) ? ["\(directory): cannot read the folder"] : []
        }
        var problems: [String] = []
        for path in paths {
            do {
                let file = try PluginLoader.read(path)
                if file.enabled {
                    try PluginLoader.checkOwnership(file.library, what: "library", .init(file: path, library: file.library))
                }
            } catch {
                problems.append("\(error)")
            }
        }
        return problems
    }
}
