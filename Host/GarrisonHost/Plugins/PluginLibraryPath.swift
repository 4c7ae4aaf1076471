import Foundation

/// Where a plugins.d file's `library` points. An absolute path is taken as it is; a path with
/// a slash is relative to the plugins.d file; a bare file name (`libChecksPlugin.so`) is one
/// of the libraries built or installed with this garrison binary: looked up next to the
/// executable, then in its `plugins/` folder. Bare names are what the shipped plugins.d files
/// use, so the same files serve a checkout (`.build/release/`), a debug build and an install
/// (`/usr/lib/garrison/plugins/`) without editing.
enum PluginLibraryPath {
    static func resolve(_ library: String, file: String) -> String {
        if library.hasPrefix("/") { return library }
        guard library.contains("/") else { return besideExecutable(library) }
        return URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(library).standardizedFileURL.path
    }

    /// The first of `<dir>/name` and `<dir>/plugins/name` that exists (the first when neither
    /// does, so that the loader's "cannot open" names a path).
    static func besideExecutable(_ name: String) -> String {
        let folder = executableFolder
        let candidates = [folder + "/" + name, folder + "/plugins/" + name]
        return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates[0]
    }

    /// The folder of the running executable, from /proc/self/exe (argv[0] may be a bare name
    /// found through PATH, or a symlink).
    static let executableFolder: String = {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path
    }()
}

/// `${data_dir}` in a plugin's string settings becomes the host's data folder, so a shipped
/// plugins.d file can name a secret the plugin keeps there (the two-factor key) wherever the
/// data folder is. The settings are JSON by then; the folder is inserted JSON-escaped.
enum PluginSettingsVariables {
    static let dataDirectory = "${data_dir}"

    static func expand(_ json: String, dataDirectory: String) -> String {
        guard json.contains(Self.dataDirectory) else { return json }
        return json.replacingOccurrences(of: Self.dataDirectory, with: escaped(dataDirectory))
    }

    /// The JSON string literal's inside: quote, backslash and control characters escaped.
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
