import Foundation
import Hummingbird

/// `/core/...`: version, settings, and the metrics exposition (health: MonitoringRoutes).
enum CoreRoutes {
    static func routes(_ host: HostContext) -> [Route] {
        [
            Route(.get, "/core/version/", access: .authenticated, summary: "Server version") { _ in
                versionResponse
            },
            Route(.get, "/core/settings/", access: .permission("can_view_core_settings"), summary: "Global settings (secrets redacted)") {
                _ in
                Responses.json(.object(CoreSettings.redacted(try await load(host))))
            },
            Route(.put, "/core/settings/", access: .permission("can_edit_core_settings"), summary: "Change global settings") { call in
                // Global settings (default policies reach every agent, mail and SMS serve every
                // client): a role limited to some clients may read them, not change them.
                try await GrantRules.checked(call, host, "coresettings") { try call.user.requireUnrestricted("The core settings") }
                let update = try call.object().fields
                let before = try await load(host)
                let after = try CoreSettings.apply(update, to: before)
                try await host.pool.transaction { connection in
                    try connection.query(
                        "UPDATE core_settings SET settings = $1::jsonb, modified_time = now() WHERE id = 1",
                        [JSON.object(after).databaseText])
                    try AuditLog.record(
                        .init(
                            call, .modify, "coresettings", "Modified core settings",
                            before: .object(CoreSettings.redacted(before)), after: .object(CoreSettings.redacted(after))), on: connection)
                }
                return Responses.message("Settings were edited")
            },
            Route(.get, "/core/dashinfo/", access: .authenticated, summary: "The caller's dashboard preferences and the server's flags") {
                call in
                // Installer tokens never get here: they are limited to enrollment (403).
                let ui = try await host.pool.query("SELECT ui::text AS ui FROM users WHERE id = $1", [String(try call.user.id)]).first?["ui"]
                let stored = try ui.map { try JSON.parse(Data($0.utf8)) }
                return Responses.json(DashInfo.render(ui: stored, settings: try await load(host), version: GarrisonVersion.build))
            },
            Route(.get, "/core/clearcache/", access: .permission("can_do_server_maint"), summary: "Forget cached sign-ins and roles") { _ in
                // The host's only cache of its own: tokens and API keys with their roles. Each
                // is read again from the database on its next use.
                host.authenticator.invalidateAll()
                return Responses.message("Cache was cleared!")
            },
            Route(.get, "/metrics/", access: .permission("can_view_core_settings"), summary: "Prometheus metrics") { _ in
                Responses.text(host.metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8")
            },
        ]
    }

    /// Built once: the hottest authenticated route should cost no more than auth itself.
    static let versionResponse: Response = Responses.message(GarrisonVersion.build)

    static func load(_ host: HostContext) async throws -> [String: JSON] {
        let row = try await host.pool.query("SELECT settings FROM core_settings WHERE id = 1").first
        return CoreSettings.merged(.fromDatabase(row?["settings"], fallback: [:]))
    }
}
