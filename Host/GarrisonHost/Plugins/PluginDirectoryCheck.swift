import Foundation

/// Validates plugins.d without loading any library: the folder's owner and mode, then each
/// `*.toml` file's owner and mode, TOML syntax, known keys, types, and that the named library
/// exists (not as a symlink) with a safe owner and mode. Used by `check-config`; `garrison plugins` goes further and loads them.
public enum PluginDirectoryCheck {
    public static func problems(in directory: String) -> [String] {
        guard let paths = PluginLoader.files(in: directory) else {
            return FileManager.default.fileExists(atPath: directory) ? ["\(directory): cannot read the folder"] : []
        }
        do {
            try PluginLoader.checkOwnership(directory, what: "plugins folder", .init(file: directory, library: ""), folder: true)
        } catch {
            // Every file would be refused for the same reason: say it once.
            return ["\(error)"]
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
