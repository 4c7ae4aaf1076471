import Foundation
import Hummingbird

/// Installing agents: install commands with time-limited tokens and the installer's own checks
/// under /api/v3/ (docs/agent-protocol.md §8, docs/compatibility.md §2.9); deployment links
/// are DeploymentRoutes'. The table names each route's handler.
struct InstallerRoutes {
    let host: HostContext
    let server: InstallCommand.Server

    static func routes(_ host: HostContext, server: InstallCommand.Server) -> [Route] {
        let routes = InstallerRoutes(host: host, server: server)
        return [
            Route(
                .post, "/agents/installer/", access: .permission("can_install_agents"),
                summary: "An install command line (Linux, macOS, Windows) with a time-limited installer token", handler: routes.installCommand),
            Route(
                .get, "/api/v3/installer/", access: .permission("can_install_agents"), scopes: [InstallerTokens.scope],
                summary: "Installer token check (401 when expired)", handler: { _ in Responses.message("ok") }),
            Route(
                .post, "/api/v3/installer/", access: .permission("can_install_agents"), scopes: [InstallerTokens.scope],
                summary: "Installer version check", handler: routes.versionCheck),
        ] + DeploymentRoutes(host: host, server: server).routes
    }

    @Sendable func installCommand(_ call: Call) async throws -> Response {
        let body = try call.object()
        let method = try body.optionalString("installMethod") ?? "manual"
        guard method == "manual" || method == "bash" else {
            throw APIError.badRequest(
                "installMethod '\(method)' needs a signed Windows installer, which Garrison does not build; use 'manual' (command line) or 'bash' (script)."
            )
        }
        let site = try body.int("site")
        let target = try await Self.siteTarget(
            host, call, site: site, type: try body.optionalString("agenttype") ?? "server", goarch: try body.optionalString("goarch") ?? "amd64")
        let hours = try body.optionalInt("expires") ?? 24
        guard (1...8760).contains(hours) else { throw APIError.badRequest("Field 'expires' must be between 1 and 8760 hours.") }
        let issued = try await InstallerTokens.issue(host.pool, userID: try call.user.id, site: site, hours: hours)
        var command = InstallCommand(
            server: server, clientID: target.clientID, siteID: site, agentType: target.type, goarch: target.goarch, token: issued.token)
        command.power = try Self.flag(body, "power")
        command.rdp = try Self.flag(body, "rdp")
        command.ping = try Self.flag(body, "ping")
        await host.audit(call, .add, "installer", "Installer token for site \(site), valid \(hours) h")
        if method == "bash" { return Responses.text(command.script, contentType: "text/x-shellscript") }
        let plat = try body.optionalString("plat") ?? "windows"
        let main = plat == "linux" ? command.linux : plat == "darwin" ? command.macOS : command.windows
        return Responses.json([
            "cmd": .string(main), "windows": .string(command.windows), "linux": .string(command.linux), "macos": .string(command.macOS),
            "token": .string(issued.token), "expires": .string(issued.expiry.iso8601),
        ])
    }

    @Sendable func versionCheck(_ call: Call) async throws -> Response {
        let version = try call.object().nonEmptyString("version")
        // Tactical RMM refuses installers older than its latest agent, unless that is a -dev build.
        if AgentUpdate.isOlder(version, than: server.agentVersion), !server.agentVersion.contains("-dev") {
            throw APIError.badRequest("Agent version \(version) is older than \(server.agentVersion); download the latest agent and install again.")
        }
        return Responses.message("ok")
    }

    struct SiteTarget {
        let clientID: Int
        let type: String
        let goarch: String
    }

    /// The site an installer or link installs into, checked: a known type and architecture,
    /// and a site inside the caller's scope (404 otherwise).
    static func siteTarget(_ host: HostContext, _ call: Call, site: Int, type: String, goarch: String) async throws -> SiteTarget {
        guard ["server", "workstation"].contains(type) else { throw APIError.badRequest("Agent type must be server or workstation.") }
        guard InstallCommand.architectures.contains(goarch) else {
            throw APIError.badRequest("Architecture must be one of amd64, 386, arm64, arm.")
        }
        guard let client = try await DeploymentQueries.clientOf(site: site, host.pool), try call.user.scope.allows(clientID: client, siteID: site)
        else { throw APIError.notFound("No site with id \(site).") }
        return SiteTarget(clientID: client, type: type, goarch: goarch)
    }

    static func flag(_ body: FieldReader, _ key: String) throws -> Bool {
        // The UI sends 0/1 for these.
        if let number = body.fields[key]?.intValue { return number != 0 }
        return try body.optionalBool(key) ?? false
    }
}
