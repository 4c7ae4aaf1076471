/// Why a plugin was refused or stopped. A struct over a private enum so codes can be added
/// without breaking anyone; tests compare `code`, operators read `description`, which always
/// names the plugins.d file, the plugin (or its library), and both ABI versions or the
/// dlerror text.
public struct PluginLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case badFile, fileRefused, dlopenFailed, missingEntry, refusedHost, badMagic, descriptorTooSmall,
                majorMismatch, hostTooOld, badName, duplicateName, missingInit, toolchainMismatch, initFailed,
                migrationFailed, routeConflict, libraryChanged
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The plugins.d file is not valid TOML, has an unknown key, or lacks `library`.
        public static let badFile = Code(.badFile)
        /// The file or library has the wrong owner or is writable by group or others.
        public static let fileRefused = Code(.fileRefused)
        /// dlopen() failed: missing file, not ELF, unresolved symbol.
        public static let dlopenFailed = Code(.dlopenFailed)
        /// No garrison_plugin_entry_v1 symbol.
        public static let missingEntry = Code(.missingEntry)
        /// The entry returned NULL for this host's ABI.
        public static let refusedHost = Code(.refusedHost)
        public static let badMagic = Code(.badMagic)
        /// struct_size below the ABI 1.0 descriptor.
        public static let descriptorTooSmall = Code(.descriptorTooSmall)
        public static let majorMismatch = Code(.majorMismatch)
        /// min_host_minor above this host's minor.
        public static let hostTooOld = Code(.hostTooOld)
        /// Name missing or not [a-z0-9_-]{1,48}.
        public static let badName = Code(.badName)
        /// Another loaded plugin has this name (or the same database schema name).
        public static let duplicateName = Code(.duplicateName)
        public static let missingInit = Code(.missingInit)
        /// A Swift plugin built by another toolchain than the host's.
        public static let toolchainMismatch = Code(.toolchainMismatch)
        /// plugin_init returned an error; its registrations were rolled back.
        public static let initFailed = Code(.initFailed)
        /// Creating the plugin's schema or applying a migration failed.
        public static let migrationFailed = Code(.migrationFailed)
        /// A route became taken between plugin_init and serving.
        public static let routeConflict = Code(.routeConflict)
        /// On reload, a running plugin's file names another library: needs a restart.
        public static let libraryChanged = Code(.libraryChanged)

        public var description: String { base.rawValue }
    }

    /// What the loader knew about the plugin when it refused it.
    public struct Subject: Sendable, Equatable {
        public var file: String
        public var library: String
        public var name: String?
        public var version: String?
        /// "2.0" once the descriptor was read.
        public var pluginABI: String?

        public init(file: String, library: String, name: String? = nil, version: String? = nil, pluginABI: String? = nil) {
            self.file = file
            self.library = library
            self.name = name
            self.version = version
            self.pluginABI = pluginABI
        }
    }

    public let code: Code
    public let subject: Subject
    /// The reason, without the file and plugin (those come from `subject`).
    public let reason: String
    /// Where in the host the error was made, for bug reports.
    public let source: String

    init(_ code: Code, _ subject: Subject, _ reason: String, fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.subject = subject
        self.reason = reason
        self.source = "\(fileID):\(line)"
    }

    public static func == (lhs: PluginLoadError, rhs: PluginLoadError) -> Bool { lhs.code == rhs.code }

    public var description: String {
        var who: String
        // A file that could not be read names no library yet: "file:line: what is wrong".
        if subject.library.isEmpty, subject.name == nil { return "\(subject.file): \(reason)" }
        if let name = subject.name {
            who = "plugin \(name)"
            if let version = subject.version, !version.isEmpty { who += " \(version)" }
            who += " (\(subject.library))"
        } else {
            who = "library \(subject.library)"
        }
        var text = "\(subject.file): \(who): \(reason)"
        if let abi = subject.pluginABI { text += " [plugin ABI \(abi), host ABI \(PluginABI.version)]" }
        return text
    }
}
