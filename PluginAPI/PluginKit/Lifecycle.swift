import CGarrisonPlugin

// plugin_init and plugin_shutdown of every Swift plugin. Global functions in
// a non-main file, so Swift 6 infers no actor isolation for them.

/// What plugin_init hands the host as state and gets back at shutdown.
final class LoadedPlugin {
    let plugin: any GarrisonPlugin
    let host: PluginHost

    init(_ plugin: any GarrisonPlugin, _ host: PluginHost) {
        self.plugin = plugin
        self.host = host
    }
}

func pluginKitInit(
    _ api: UnsafePointer<garrison_host_api>?, _ handle: OpaquePointer?,
    _ stateOut: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> Int32 {
    guard let api, let handle, let stateOut, let type = loadedPluginType else {
        return GARRISON_ERR_INVALID
    }
    return initPlugin(type, api: api, handle: handle, stateOut: stateOut)
}

/// plugin_init for a given plugin type (tests run several in one process).
func initPlugin(
    _ type: any GarrisonPlugin.Type, api: UnsafePointer<garrison_host_api>, handle: OpaquePointer,
    stateOut: UnsafeMutablePointer<UnsafeMutableRawPointer?>
) -> Int32 {
    let host = PluginHost(api: api, handle: handle, gate: HostGate())
    let registrar = Registrar(host: host)
    var plugin: (any GarrisonPlugin)?
    do {
        plugin = try type.init(host: host)
        try plugin!.register(registrar)
        registrar.close()
        stateOut.pointee = Unmanaged.passRetained(LoadedPlugin(plugin!, host)).toOpaque()
        return GARRISON_OK
    } catch {
        // The host now drops our registrations and calls their free_fns;
        // plugin_shutdown will not run, so shut the instance down here.
        registrar.close()
        host.log(.error, "plugin_init failed: \(error)")
        plugin?.shutdown()
        host.gate.close()
        return initStatus(for: error)
    }
}

/// The status plugin_init returns for an error: a PluginError's own code,
/// else ERR_INTERNAL. Never OK or PENDING, which would mean success.
func initStatus(for error: any Error) -> Int32 {
    let status = (error as? PluginError)?.status.rawValue ?? GARRISON_ERR_INTERNAL
    return status < 0 ? status : GARRISON_ERR_INTERNAL
}

func pluginKitShutdown(_ state: UnsafeMutableRawPointer?) {
    guard let state else { return }
    let loaded = Unmanaged<LoadedPlugin>.fromOpaque(state).takeRetainedValue()
    loaded.plugin.shutdown()
    // Tasks still running (handlers that missed the drain deadline) may not
    // reach the host from now on.
    loaded.host.gate.close()
}
