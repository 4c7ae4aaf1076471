import CGarrisonPlugin

// The user pointer of every registration is a retained RegistrationBox.
// The host releases it through pluginKitFree exactly once, after a failed
// plugin_init or after plugin_shutdown; if the register_* call itself
// fails, the host keeps nothing and `register` releases it here instead.

/// Base class of the boxes handed to register_* calls, so one free function
/// serves them all.
class RegistrationBox: @unchecked Sendable {
    // Subclasses hold only `let`s of Sendable values.
    let host: PluginHost

    init(host: PluginHost) { self.host = host }
}

/// The garrison_free_fn of every registration. It must not call the host:
/// the box's deinit (and whatever it captured) does not.
func pluginKitFree(_ user: UnsafeMutableRawPointer?) {
    guard let user else { return }
    Unmanaged<RegistrationBox>.fromOpaque(user).release()
}

extension Registrar {
    /// Hands `box` to a register_* call, and takes it back if the call fails.
    func register(
        _ what: @autoclosure () -> String, _ box: RegistrationBox,
        _ call: (_ user: UnsafeMutableRawPointer) -> Int32
    ) throws {
        let user = Unmanaged.passRetained(box).toOpaque()
        let rc = host.gate.pass { call(user) }
        if rc != GARRISON_OK {
            Unmanaged<RegistrationBox>.fromOpaque(user).release()
            throw PluginError(rc.map { PluginStatus(rawValue: $0) } ?? .phase, what())
        }
    }
}
