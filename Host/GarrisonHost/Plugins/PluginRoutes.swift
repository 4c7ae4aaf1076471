import Hummingbird

/// `/core/plugins/`: what is loaded, and a reload without restarting (as SIGHUP does).
enum PluginRoutes {
    static func routes(_ registry: PluginRegistry, audit: HostContext) -> [Route] {
        [
            Route(
                .get, "/core/plugins/", access: .permission("can_view_core_settings"),
                summary: "Plugins: state, ABI, routes and other registrations"
            ) { _ in
                Responses.json(.array(await registry.listing()))
            },
            Route(
                .post, "/core/plugins/reload/", access: .permission("can_do_server_maint"),
                summary: "Re-read plugins.d: load newly enabled plugins, disable removed ones"
            ) { call in
                try await GrantRules.checked(call, audit, "plugins") { try call.user.requireUnrestricted("The plugins") }
                let report = await registry.reload()
                await audit.audit(
                    call, .modify, "plugins", "Reloaded plugins: loaded \(report.loaded), disabled \(report.disabled)", after: report.json)
                var answer = report.json.objectValue ?? [:]
                answer["plugins"] = .array(await registry.listing())
                return Responses.json(.object(answer))
            },
        ]
    }
}
