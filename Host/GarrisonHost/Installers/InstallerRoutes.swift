import Foundation
import Hummingbird

/// Installing agents: install commands with time-limited tokens, deployment links, and the
/// installer's own checks under /api/v3/ (docs/agent-protocol.md §8, docs/compatibility.md §2.9).
enum InstallerRoutes {
    static func routes(_ host: HostContext, server: InstallCommand.Server) -> [Route] {
        [
            Route(
                .post, "/agents/installer/", access: .permission("can_install_agents"),
                summary: "An install command line (Linux, macOS, Windows) with a time-limited installer token"
            ) { call in
                let body = try call.object()
                let method = try body.optionalString("installMethod") ?? "manual"
                guard method == "manual" || method == "bash" else {
                    throw APIError.badRequest(
                        "installMethod '\(method)' needs a signed Windows installer, which Garrison does not build; use 'manual' (command line) or 'bash' (script)."
                    )
                }
                let site = try body.int("site")
                let target = try await siteTarget(
                    host, call, site: site, type: try body.optionalString("agenttype") ?? "server",
                    goarch: try body.optionalString("goarch") ?? "amd64")
                let hours = try body.optionalInt("expires") ?? 24
                guard (1...8760).contains(hours) else { throw APIError.badRequest("Field 'expires' must be between 1 and 8760 hours.") }
                let issued = try await InstallerTokens.issue(host.pool, userID: try call.user.id, site: site, hours: hours)
                var command = InstallCommand(
                    server: server, clientID: target.clientID, siteID: site, agentType: target.type, goarch: target.goarch,
                    token: issued.token)
                command.power = try flag(body, "power")
                command.rdp = try flag(body, "rdp")
                command.ping = try flag(body, "ping")
                await host.audit(call, .add, "installer", "Installer token for site \(site), valid \(hours) h")
                if method == "bash" { return Responses.text(command.script, contentType: "text/x-shellscript") }
                let plat = try body.optionalString("plat") ?? "windows"
                let main = plat == "linux" ? command.linux : plat == "darwin" ? command.macOS : command.windows
                return Responses.json([
                    "cmd": .string(main), "windows": .string(command.windows), "linux": .string(command.linux),
                    "macos": .string(command.macOS),
                    "token": .string(issued.token), "expires": .string(issued.expiry.iso8601),
                ])
            },
            Route(
                .get, "/api/v3/installer/", access: .permission("can_install_agents"), scopes: [InstallerTokens.scope],
                summary: "Installer token check (401 when expired)"
            ) { _ in
                Responses.message("ok")
            },
            Route(
                .post, "/api/v3/installer/", access: .permission("can_install_agents"), scopes: [InstallerTokens.scope],
                summary: "Installer version check"
            ) { call in
                let version = try call.object().nonEmptyString("version")
                // Tactical RMM refuses installers older than its latest agent, unless that is a -dev build.
                if AgentUpdate.isOlder(version, than: server.agentVersion), !server.agentVersion.contains("-dev") {
                    throw APIError.badRequest(
                        "Agent version \(version) is older than \(server.agentVersion); download the latest agent and install again.")
                }
                return Responses.message("ok")
            },
            Route(.get, "/clients/deployments/", access: .permission("can_list_deployments"), summary: "Deployment links") { call in
                var sql =
                    "SELECT d.*, s.name AS site_name, s.client_id, c.name AS client_name FROM deployments d JOIN sites s ON s.id = d.site_id JOIN clients c ON c.id = s.client_id"
                var params: [String?] = []
                if let scope = try call.user.scope.sqlCondition(siteColumn: "s.id", clientColumn: "s.client_id", nextParameter: 1) {
                    sql += " WHERE \(scope.sql)"
                    params = scope.params
                }
                return Responses.json(.array(try await host.pool.query(sql + " ORDER BY d.id", params).rows.map(render)))
            },
            Route(.post, "/clients/deployments/", access: .permission("can_manage_deployments"), summary: "Create a deployment link") {
                call in
                let body = try call.object()
                let site = try body.int("site")
                let target = try await siteTarget(
                    host, call, site: site, type: try body.optionalString("agenttype") ?? "server",
                    goarch: try body.optionalString("arch") ?? "amd64")
                let expiry = try LocalTime.parse(try body.nonEmptyString("expires"), zone: TimeZone(identifier: "UTC")!, field: "expires")
                guard expiry > Date() else { throw APIError.badRequest("Field 'expires' must be in the future.") }
                let flags = body.fields["install_flags"] ?? [:]
                guard flags.objectValue != nil else { throw APIError.badRequest("Field 'install_flags' must be an object.") }
                let row = try await host.pool.query(
                    """
                    INSERT INTO deployments (uid, site_id, mon_type, goarch, expiry, install_flags, created_by)
                    VALUES (gen_random_uuid(), $1, $2, $3, $4::timestamptz, $5::jsonb, $6) RETURNING id, uid
                    """, [String(site), target.type, target.goarch, SQLTime.text(expiry), flags.databaseText, String(try call.user.id)]
                ).first!
                await host.audit(call, .add, "deployment", "Deployment link for site \(site) until \(expiry.iso8601)")
                return Responses.json([
                    "id": .init(row.int("id")), "uid": .string(row.string("uid")),
                    "url": .string("\(server.apiURL)/clients/\(row.string("uid"))/deploy/"),
                ])
            },
            Route(
                .delete, "/clients/deployments/<pk>/", access: .permission("can_manage_deployments"),
                summary: "Delete a deployment link and revoke its tokens"
            ) { call in
                let pk = try call.intParam("pk")
                guard
                    let row = try await host.pool.query(
                        "SELECT s.id AS site_id, s.client_id FROM deployments d JOIN sites s ON s.id = d.site_id WHERE d.id = $1",
                        [String(pk)]
                    ).first,
                    try call.user.scope.allows(clientID: row.int("client_id"), siteID: row.int("site_id"))
                else { throw APIError.notFound("No deployment \(pk).") }
                try await host.pool.query("DELETE FROM deployments WHERE id = $1", [String(pk)])
                host.authenticator.invalidateAll()
                await host.audit(call, .delete, "deployment", "Deleted deployment link \(pk)")
                return Responses.message("The deployment was deleted.")
            },
            // Anonymous by design, as in Tactical RMM: the link's random uid is the secret.
            Route(
                .get, "/clients/<uid>/deploy/", access: .anonymous,
                summary: "Install script of a deployment link (?plat=windows for the Windows command)"
            ) { call in
                let uid = call.param("uid")
                guard UUID(uuidString: uid) != nil,
                    let row = try await host.pool.query(
                        """
                        SELECT d.id, d.site_id, s.client_id, d.mon_type, d.goarch, extract(epoch FROM d.expiry) AS expiry_epoch, d.install_flags, d.created_by, d.expiry > now() AS valid
                        FROM deployments d JOIN sites s ON s.id = d.site_id WHERE d.uid = $1::uuid
                        """, [uid]
                    ).first
                else { throw APIError.notFound("No such deployment link.") }
                guard row.bool("valid") else { throw APIError.init(.gone, "This deployment link has expired; ask for a new one.") }
                // Whoever holds the link gets a token for the link's site, for an hour at most.
                let expiry = min(
                    Date(timeIntervalSince1970: row.double("expiry_epoch")),
                    Date().addingTimeInterval(InstallerTokens.deploymentTokenLifetime))
                let issued = try await InstallerTokens.issue(
                    host.pool, userID: row.int("created_by"), site: row.int("site_id"), hours: 1, deploymentID: row.int("id"),
                    expiry: expiry)
                var command = InstallCommand(
                    server: server, clientID: row.int("client_id"), siteID: row.int("site_id"), agentType: row.string("mon_type"),
                    goarch: row.string("goarch"), token: issued.token)
                let flags = JSON.fromDatabase(row.optionalString("install_flags"), fallback: [:])
                command.power = flags["power"]?.boolValue ?? false
                command.rdp = flags["rdp"]?.boolValue ?? false
                command.ping = flags["ping"]?.boolValue ?? false
                if call.query["plat"] == "windows" { return Responses.text(command.windows + "\n") }
                return Responses.text(command.script, contentType: "text/x-shellscript")
            },
        ]
    }

    struct SiteTarget {
        let clientID: Int
        let type: String
        let goarch: String
    }

    static func siteTarget(_ host: HostContext, _ call: Call, site: Int, type: String, goarch: String) async throws -> SiteTarget {
        guard ["server", "workstation"].contains(type) else { throw APIError.badRequest("Agent type must be server or workstation.") }
        guard InstallCommand.architectures.contains(goarch) else {
            throw APIError.badRequest("Architecture must be one of amd64, 386, arm64, arm.")
        }
        guard let row = try await host.pool.query("SELECT client_id FROM sites WHERE id = $1", [String(site)]).first,
            try call.user.scope.allows(clientID: row.int("client_id"), siteID: site)
        else { throw APIError.notFound("No site with id \(site).") }
        return SiteTarget(clientID: row.int("client_id"), type: type, goarch: goarch)
    }

    static func flag(_ body: FieldReader, _ key: String) throws -> Bool {
        // The UI sends 0/1 for these.
        if let number = body.fields[key]?.intValue { return number != 0 }
        return try body.optionalBool(key) ?? false
    }

    static func render(_ row: PGRow) -> JSON {
        [
            "id": .init(row.int("id")), "uid": .init(row.string("uid")), "client_id": .init(row.int("client_id")),
            "client_name": .init(row.string("client_name")),
            "site_id": .init(row.int("site_id")), "site_name": .init(row.string("site_name")), "mon_type": .init(row.string("mon_type")),
            "arch": .init(row.string("goarch")), "expiry": .init(row.string("expiry")),
            "install_flags": JSON.fromDatabase(row.optionalString("install_flags"), fallback: [:]),
            "created": .init(row.string("created_time")),
        ]
    }
}
