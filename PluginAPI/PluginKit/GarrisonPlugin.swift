/// A Garrison plugin written in Swift.
///
///     final class Hello: GarrisonPlugin {
///         static let name: StaticString = "hello-swift"
///         static let version: StaticString = "0.1.0"
///         let host: PluginHost
///         init(host: PluginHost) throws { self.host = host }
///         func register(_ r: Registrar) throws {
///             try r.route(.get, "/hello-swift/", permission: "authenticated") { _ in .text("hi") }
///         }
///     }
///
/// and one line to export it (see `entry(_:_:_:)`). Handlers run on any
/// thread, concurrently, so the plugin is Sendable.
public protocol GarrisonPlugin: Sendable {
    /// [a-z0-9_-]{1,48}, unique among loaded plugins; also the name of the
    /// plugin's database schema. StaticString, because the descriptor must
    /// point at text that lives as long as the process.
    static var name: StaticString { get }
    /// Free-form ("1.4.2").
    static var version: StaticString { get }
    /// The oldest host ABI minor whose table the plugin uses without checking
    /// (PluginKit itself checks every 1.1 member before using it). Default 0.
    static var minHostMinor: UInt16 { get }

    /// Called during plugin_init, on the host's init thread. Read settings
    /// here; throwing refuses to start (the error is logged).
    init(host: PluginHost) throws

    /// Called right after `init(host:)`, still inside plugin_init: the only
    /// time routes, migrations, subscriptions, job kinds, agent handlers and
    /// auth hooks can be registered. Throwing refuses to start.
    func register(_ registrar: Registrar) throws

    /// Called once for every successful `init(host:)`: at plugin_shutdown,
    /// or when `register` threw. Join threads the plugin started. The host
    /// can still be logged to; nothing after this reaches it.
    func shutdown()
}

extension GarrisonPlugin {
    public static var minHostMinor: UInt16 { 0 }
    public func shutdown() {}
}
