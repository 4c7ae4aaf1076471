import CGarrisonPlugin
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Log levels of `PluginHost.log`, the header's GARRISON_LOG_*.
public enum LogLevel: Int32, Sendable, Comparable {
    case trace = 0, debug, info, notice, warning, error, critical

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// The plugin's handle on the host: the services it may use from any thread
/// once plugin_init has returned. Registration is on `Registrar` instead,
/// because it works only during plugin_init.
///
/// Cheap to copy and Sendable: the table and the handle are valid for the
/// plugin's life, and the header makes every host function thread-safe.
public struct PluginHost: @unchecked Sendable {
    let api: HostAPI
    let handle: OpaquePointer
    let gate: HostGate

    init(api: UnsafePointer<garrison_host_api>, handle: OpaquePointer, gate: HostGate) {
        self.api = HostAPI(table: api)
        self.handle = handle
        self.gate = gate
    }

    /// The host's ABI minor version (0 for a 1.0 host).
    public var abiMinor: Int { Int(api.abiMinor) }

    /// Writes one line to the host log, tagged with the plugin's name.
    /// Dropped silently after shutdown.
    public func log(_ level: LogLevel, _ message: String) {
        let log = api.required(\.log)
        gate.pass {
            message.withGarrisonBytes { log(handle, level.rawValue, $0) }
        }
    }

    /// The raw [settings] table of the plugins.d file, as JSON.
    public var settingsJSON: Data {
        let settings = api.required(\.settings)
        return gate.pass { settings(handle).data } ?? Data("{}".utf8)
    }

    /// The [settings] table decoded into `T`. A missing or mistyped key
    /// throws `PluginError(.invalid, ...)` naming the key, for the log line
    /// the host writes when plugin_init fails.
    public func settings<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        do {
            return try JSONCoding.decoder.decode(T.self, from: settingsJSON)
        } catch {
            throw PluginError(.invalid, "[settings]: \(JSONCoding.describe(error))")
        }
    }

    /// Calls `body` unless the plugin is shut down, and turns a negative
    /// status into a thrown PluginError.
    func check(_ what: @autoclosure () -> String, _ body: () -> Int32) throws {
        guard let rc = gate.pass(body) else {
            throw PluginError(.phase, "\(what()): plugin is shut down")
        }
        if rc < 0 { throw PluginError(PluginStatus(rawValue: rc), what()) }
    }
}
