import Foundation
import Hummingbird

/// `POST /api/v3/newagent/` (docs/agent-protocol.md §7.4): the installer registers a new
/// agent and receives its pk and token. The token is shown once; the host keeps its SHA-256
/// (REST) and its bcrypt (the agent's nats-server user), and the bus reloads before the
/// answer, since the installer connects to NATS right after it.
enum EnrollmentRoutes {
    static func routes(_ host: HostContext, agentsChanged: @escaping @Sendable () async -> Void) -> [Route] {
        [
            Route(
                .post, "/api/v3/newagent/", access: .permission("can_install_agents"), scopes: [InstallerTokens.scope],
                summary: "Register a new agent (installer)"
            ) { call in
                let body = try call.object()
                let agentID = try body.nonEmptyString("agent_id")
                guard NATSServerConfig.isValidAgentID(agentID) else {
                    throw APIError.badRequest("agent_id must be letters and digits only.")
                }
                let caller = try call.user
                // An installer token enrolls only into the site it was made for.
                let site = try body.optionalInt("site") ?? caller.installerSite ?? body.int("site")
                if let bound = caller.installerSite, bound != site {
                    throw APIError.forbidden(
                        "This installer token was made for site \(bound); it cannot enroll agents at site \(site). Make an installer for that site."
                    )
                }
                let monitoringType = try body.optionalString("monitoring_type") ?? "server"
                guard ["server", "workstation"].contains(monitoringType) else {
                    throw APIError.badRequest("monitoring_type must be server or workstation.")
                }
                guard let siteRow = try await host.pool.query("SELECT client_id FROM sites WHERE id = $1", [String(site)]).first else {
                    throw APIError.badRequest("Site \(site) does not exist.")
                }
                guard try call.user.scope.allows(clientID: siteRow.int("client_id"), siteID: site) else {
                    throw APIError.forbidden("Your role cannot install agents at site \(site).")
                }
                let token = Crypto.randomHex(bytes: 20)
                guard let natsPassword = NATSPassword.hash(token) else {
                    throw APIError.unavailable("Cannot hash the agent's NATS password.")
                }
                let inserted = try await host.pool.query(
                    """
                    INSERT INTO agents (agent_id, site_id, client_id, hostname, monitoring_type, mesh_node_id, description, goarch, plat,
                                        token_digest, nats_password, last_seen)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
                    ON CONFLICT (agent_id) DO NOTHING RETURNING id
                    """,
                    [
                        agentID, String(site), String(siteRow.int("client_id")), try body.optionalString("hostname") ?? "",
                        monitoringType, try body.optionalString("mesh_node_id") ?? "", try body.optionalString("description") ?? "",
                        try body.optionalString("goarch") ?? "", try body.optionalString("plat") ?? "windows",
                        Crypto.sha256Hex(token), natsPassword,
                    ])
                guard let pk = inserted.first?.int("id") else {
                    throw APIError.badRequest("Agent already exists. Remove old agent first if trying to re-install")
                }
                await agentsChanged()
                // Once per agent, for onboarding work (automated tasks of type onboarding).
                host.events.publish(
                    "agent.enrolled",
                    [
                        "agent_id": .string(agentID), "site_id": .init(site), "client_id": .init(siteRow.int("client_id")),
                        "plat": .string(try body.optionalString("plat") ?? "windows"), "monitoring_type": .string(monitoringType),
                    ])
                await host.audit(
                    call, .agentInstall, "agent", "Agent \(agentID) installed", agentID: agentID,
                    agentHostname: try body.optionalString("hostname"))
                return Responses.json(["pk": .init(pk), "token": .string(token)])
            }
        ]
    }
}
