import Foundation

/// Validates every `*.toml` file in plugins.d without loading any library: TOML syntax,
/// known keys, types, and that the named library exists. Used by `check-config`.
public enum PluginDirectoryCheck {
    public static func problems(in directory: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            return FileManager.default.fileExists(atPath: directory) ? ["\(directory): cannot read the folder"] : []
        }
        var problems: [String] = []
        for name in names.sorted() where name.hasSuffix(".toml") {
            let path = directory + "/" + name
            do { _ = try PluginFile.load(path: path) } catch { problems.append("\(error)") }
        }
        return problems
    }
}
