import Foundation
import Hummingbird

/// Deployment links (`/clients/deployments/`) and the anonymous install script each one serves
/// (`/clients/<uid>/deploy/`), with their SQL in DeploymentQueries.
struct DeploymentRoutes {
    let host: HostContext
    let server: InstallCommand.Server

    var routes: [Route] {
        [
            Route(.get, "/clients/deployments/", access: .permission("can_list_deployments"), summary: "Deployment links", handler: list),
            Route(.post, "/clients/deployments/", access: .permission("can_manage_deployments"), summary: "Create a deployment link", handler: create),
            Route(
                .delete, "/clients/deployments/<pk>/", access: .permission("can_manage_deployments"),
                summary: "Delete a deployment link and revoke its tokens", handler: delete),
            // Anonymous by design, as in Tactical RMM: the link's random uid is the secret.
            Route(
                .get, "/clients/<uid>/deploy/", access: .anonymous, summary: "Install script of a deployment link (?plat=windows for the Windows command)",
                handler: deploy),
        ]
    }

    @Sendable func list(_ call: Call) async throws -> Response {
        Responses.json(.array(try await DeploymentQueries.visible(host.pool, try call.user.scope).map(\.json)))
    }

    @Sendable func create(_ call: Call) async throws -> Response {
        let body = try call.object()
        let site = try body.int("site")
        let target = try await InstallerRoutes.siteTarget(
            host, call, site: site, type: try body.optionalString("agenttype") ?? "server", goarch: try body.optionalString("arch") ?? "amd64")
        let expiry = try LocalTime.parse(try body.nonEmptyString("expires"), zone: TimeZone(identifier: "UTC")!, field: "expires")
        guard expiry > Date() else { throw APIError.badRequest("Field 'expires' must be in the future.") }
        let flags = body.fields["install_flags"] ?? [:]
        guard flags.objectValue != nil else { throw APIError.badRequest("Field 'install_flags' must be an object.") }
        let link = try await DeploymentQueries.insert(
            host.pool, site: site, type: target.type, goarch: target.goarch, expiry: expiry, flags: flags, by: try call.user.id)
        await host.audit(call, .add, "deployment", "Deployment link for site \(site) until \(expiry.iso8601)")
        return Responses.json(["id": .init(link.id), "uid": .string(link.uid), "url": .string("\(server.apiURL)/clients/\(link.uid)/deploy/")])
    }

    @Sendable func delete(_ call: Call) async throws -> Response {
        let pk = try call.intParam("pk")
        guard let place = try await DeploymentQueries.place(host.pool, id: pk), try call.user.scope.allows(clientID: place.client, siteID: place.site)
        else { throw APIError.notFound("No deployment \(pk).") }
        try await DeploymentQueries.delete(host.pool, id: pk)
        host.authenticator.invalidateAll()
        await host.audit(call, .delete, "deployment", "Deleted deployment link \(pk)")
        return Responses.message("The deployment was deleted.")
    }

    @Sendable func deploy(_ call: Call) async throws -> Response {
        let uid = call.param("uid")
        guard UUID(uuidString: uid) != nil, let link = try await DeploymentQueries.link(host.pool, uid: uid) else {
            throw APIError.notFound("No such deployment link.")
        }
        guard link.valid else { throw APIError.init(.gone, "This deployment link has expired; ask for a new one.") }
        // Whoever holds the link gets a token for the link's site, for an hour at most.
        let expiry = min(link.expiry, Date().addingTimeInterval(InstallerTokens.deploymentTokenLifetime))
        let issued = try await InstallerTokens.issue(
            host.pool, userID: link.createdBy, site: link.siteID, hours: 1, deploymentID: link.id, expiry: expiry)
        var command = InstallCommand(
            server: server, clientID: link.clientID, siteID: link.siteID, agentType: link.monitoringType, goarch: link.goarch,
            token: issued.token)
        command.power = link.installFlags["power"]?.boolValue ?? false
        command.rdp = link.installFlags["rdp"]?.boolValue ?? false
        command.ping = link.installFlags["ping"]?.boolValue ?? false
        if call.query["plat"] == "windows" { return Responses.text(command.windows + "\n") }
        return Responses.text(command.script, contentType: "text/x-shellscript")
    }
}
