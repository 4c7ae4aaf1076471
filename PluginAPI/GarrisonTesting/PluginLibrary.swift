import CGarrisonPlugin
import Foundation

/// A plugin's shared library, loaded the way the host loads it: dlopen, the one exported entry,
/// the descriptor it answers for this header's ABI, then plugin_init on a FakeHost. A test on it
/// runs the very .so the host would run, so a linking or export mistake fails here first.
///
///     let plugin = try PluginLibrary(path: PluginLibrary.built("libHelloSwiftPlugin.so"))
///     let fake = FakeHost(settings: #"{"greeting":"hi"}"#)
///     #expect(plugin.start(on: fake) == GARRISON_OK)
///     ...
///     plugin.stop(on: fake)
public final class PluginLibrary: @unchecked Sendable {
    public typealias Entry = @convention(c) (UInt16, UInt16) -> UnsafeRawPointer?

    public enum LoadError: Error, CustomStringConvertible {
        case dlopen(String)
        case noEntry(String)
        case refused(String)

        public var description: String {
            switch self {
            case .dlopen(let why): return "dlopen failed: \(why)"
            case .noEntry(let path): return "\(path) exports no \(GARRISON_PLUGIN_ENTRY_NAME)"
            case .refused(let path): return "\(path) answered no descriptor for ABI \(GARRISON_ABI_MAJOR).\(GARRISON_ABI_MINOR)"
            }
        }
    }

    public let path: String
    public let entry: Entry
    /// The descriptor the entry answered for this header's ABI.
    public let descriptor: garrison_plugin_descriptor
    private var state: UnsafeMutableRawPointer?

    public init(path: String) throws {
        // Never dlclose: a Swift image must stay mapped (PluginAPI/README.md, "Writing a plugin
        // in Swift"), so RTLD_NODELETE, as the host does.
        guard let library = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw LoadError.dlopen(String(cString: dlerror()))
        }
        guard let symbol = dlsym(library, GARRISON_PLUGIN_ENTRY_NAME) else { throw LoadError.noEntry(path) }
        entry = unsafeBitCast(symbol, to: Entry.self)
        guard let raw = entry(UInt16(GARRISON_ABI_MAJOR), UInt16(GARRISON_ABI_MINOR)) else { throw LoadError.refused(path) }
        descriptor = raw.assumingMemoryBound(to: garrison_plugin_descriptor.self).pointee
        self.path = path
    }

    /// A library built beside the running test binary (`swift build --build-tests` puts every
    /// product of the package there), or the path in $GARRISON_PLUGIN_<NAME> when set.
    public static func built(_ file: String) -> String {
        let variable = "GARRISON_PLUGIN_" + file.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
        if let path = ProcessInfo.processInfo.environment[variable] { return path }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent(file).path
    }

    public var name: String { String(cString: descriptor.name) }
    public var version: String { String(cString: descriptor.version) }

    /// plugin_init on `host`, then the end of the registration phase, as the host does.
    @discardableResult
    public func start(on host: FakeHost) -> Int32 {
        let status = descriptor.plugin_init!(host.api, host.handle, &state)
        host.endInit()
        return status
    }

    /// plugin_shutdown, then every registration's free_fn, as the host does.
    public func stop(on host: FakeHost) {
        descriptor.plugin_shutdown?(state)
        state = nil
        host.freeAll()
    }
}
