import CMeshCurl
import Foundation
import MeshCentralCore
import PluginKit
import Synchronization

/// meshcentral -- the MeshCentral bridge (Plugins/MeshCentral/README.md): take-control,
/// terminal and file links signed with MeshCentral's login token key, web VNC, the mesh
/// agent's repair over NATS and its installer, and MeshCentral's users and device rights kept
/// in step with Garrison's operators (job meshcentral.sync). Idle until mesh_site,
/// mesh_username and mesh_token are set in the global settings: its routes then answer 400
/// saying so, and the sync does nothing.
final class MeshCentral: GarrisonPlugin {
    static let name: StaticString = "meshcentral"
    static let version: StaticString = "0.1.0"
    static let minHostMinor: UInt16 = 1

    /// The [settings] table of plugins.d/70-meshcentral.toml.
    struct Settings: Decodable, Sendable {
        /// ws:// or wss:// address of MeshCentral's control socket; empty: mesh_site with wss.
        var control_url: String?
        /// How long a call to MeshCentral may take before the route answers 502.
        var timeout_seconds: Int?
        /// Base of the mesh agent installer download; empty: mesh_site.
        var installer_url: String?
        /// Check MeshCentral's certificate when downloading the installer over https.
        var verify_certificate: Bool?
        var sync_every_seconds: Int?
        var sync_timeout_seconds: Int?
    }

    let host: PluginHost
    let controlURL: String
    let timeout: Duration
    let installerURL: String
    let verifyCertificate: Bool
    let syncEvery: Int
    let syncTimeout: Duration
    let control = MeshControl()
    let syncState = Mutex<(running: Bool, again: Bool)>((false, false))

    init(host: PluginHost) throws {
        self.host = host
        let settings = try host.settings(Settings.self)
        controlURL = settings.control_url ?? ""
        if !controlURL.isEmpty, !(controlURL.hasPrefix("ws://") || controlURL.hasPrefix("wss://")) {
            throw PluginError(.invalid, "[settings] control_url must start with ws:// or wss://")
        }
        // 8 s by default: with the host's own work around it, a route that gives up on
        // MeshCentral has answered 502 within 10 s.
        let seconds = settings.timeout_seconds ?? 8
        guard (1...120).contains(seconds) else { throw PluginError(.invalid, "[settings] timeout_seconds must be 1 to 120") }
        timeout = .seconds(seconds)
        installerURL = settings.installer_url ?? ""
        if !installerURL.isEmpty, !(installerURL.hasPrefix("http://") || installerURL.hasPrefix("https://")) {
            throw PluginError(.invalid, "[settings] installer_url must start with http:// or https://")
        }
        verifyCertificate = settings.verify_certificate ?? true
        syncEvery = settings.sync_every_seconds ?? 240
        guard (10...86_400).contains(syncEvery) else { throw PluginError(.invalid, "[settings] sync_every_seconds must be 10 to 86400") }
        let syncSeconds = settings.sync_timeout_seconds ?? 120
        guard (1...3600).contains(syncSeconds) else { throw PluginError(.invalid, "[settings] sync_timeout_seconds must be 1 to 3600") }
        syncTimeout = .seconds(syncSeconds)
        mcurl_global_init()
    }

    func shutdown() { control.shutdown() }

    func register(_ r: Registrar) throws {
        try r.migration(
            version: 1,
            sql: """
                CREATE TABLE sync_runs (
                    id bigserial PRIMARY KEY,
                    started timestamptz NOT NULL DEFAULT now(),
                    finished timestamptz,
                    ok boolean,
                    commands integer,
                    error text
                );
                CREATE INDEX sync_runs_started ON sync_runs (started DESC);
                """)
        try r.route(.get, "/agents/<agent_id>/<port>/webvnc/", permission: "can_use_mesh") { req in
            try await self.mapped { try await self.webVNC(req) }
        }
        try r.route(.post, "/api/v3/meshexe/", permission: "can_install_agents", scopes: ["installer"]) { req in
            try await self.mapped { try await self.meshInstaller(req) }
        }
        try registerSync(r)
        try registerDevices(r)
        try r.route(.get, "/agents/<agent_id>/meshcentral/", permission: "can_use_mesh") { req in
            try await self.takeControl(req)
        }
        // Tactical RMM's view answers POST on both paths with the repair.
        for path in ["/agents/<agent_id>/meshcentral/recover/", "/agents/<agent_id>/meshcentral/"] {
            try r.route(.post, path, permission: "can_use_mesh") { req in try await self.recover(req) }
        }
        try r.route(.get, "/agents/<agent_id>/meshcentral/recover/", permission: "can_use_mesh") { req in
            try await self.takeControl(req)
        }
        Task { await self.announce() }
    }

    /// MeshCentral failures as 502 {"detail"}.
    func mapped(_ body: () async throws -> PluginResponse) async throws -> PluginResponse {
        do { return try await body() } catch let error as MeshUnavailable { throw PluginHTTPError(502, error.detail) }
    }

    func controlSocketURL(_ site: MeshSite) throws -> String {
        let cookie = try MeshTokens.auth(key: site.key, user: site.username, time: Int(Date().timeIntervalSince1970))
        return site.controlSocketURL(controlURL: controlURL, cookie: cookie)
    }

    /// GET /agents/<agent_id>/<port>/webvnc/: a noVNC link through MeshCentral's relay, with a
    /// relay cookie MeshCentral hands out over the control socket (getcookie).
    func webVNC(_ req: PluginRequest) async throws -> PluginResponse {
        let (_, agent) = try await visibleAgent(req)
        guard let portText = req.params["port"], let port = Int(portText), (1...65_535).contains(port) else {
            throw PluginHTTPError(400, "port must be a TCP port number, 1 to 65535.")
        }
        let site = try await site()
        let node = agent["mesh_node_id"]?.stringValue ?? ""
        guard let meshNode = MeshIDs.meshNodeID(fromHex: node), !node.isEmpty else { throw PluginHTTPError(400, "Missing mesh node id") }
        let reply = try await control.session(url: try controlSocketURL(site), timeout: timeout) { connection in
            try await connection.request([
                "action": "getcookie", "name": .null, "nodeid": .string("node//\(meshNode)"), "tag": "novnc", "tcpaddr": .null,
                "tcpport": .number(Double(port)),
            ])
        }
        guard let cookie = reply["cookie"]?.stringValue else { throw MeshUnavailable(detail: "MeshCentral's getcookie answer has no cookie") }
        let hostname = agent["hostname"]?.stringValue ?? ""
        let meshHost = URL(string: site.site)?.host ?? ""
        let relay = "wss://\(meshHost)/meshrelay.ashx?auth=\(cookie)"
        let vnc =
            "\(site.site)/novnc/vnc.html?ws=\(Self.formEncoded(relay))&show_dot=1&l=en&resize=scale&name=\(Self.formEncoded(hostname))"
        return try .json([
            "hostname": JSON.string(hostname), "vnc": .string(vnc), "client": agent["client_name"] ?? .null, "site": agent["site_name"] ?? .null,
        ] as JSON)
    }

    /// Percent-encodes all but letters, digits and -._~ (as Python's quote with safe="").
    static func formEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? text
    }

    /// POST /api/v3/meshexe/ {"goarch","plat"}: the mesh agent installer for the platform, from
    /// MeshCentral (the device group's id from the control socket, then /meshagents).
    func meshInstaller(_ req: PluginRequest) async throws -> PluginResponse {
        let body = (try? JSON(parsing: req.body)) ?? .null
        let goarch = body["goarch"]?.stringValue ?? ""
        let plat = body["plat"]?.stringValue ?? ""
        let ident: Int
        switch (plat, goarch) {
        case ("windows", "amd64"): ident = 4
        case ("windows", "386"): ident = 3
        case ("darwin", "amd64"), ("darwin", "arm64"): ident = 10005
        default: throw PluginHTTPError(400, "Arch not supported")
        }
        let site = try await site()
        // One deadline for both steps (the device group's id, then the download).
        let deadline = ContinuousClock.now + timeout
        let meshes = try await control.session(url: try controlSocketURL(site), timeout: timeout) { connection in
            try await connection.request(["action": "meshes", "responseid": "meshctrl"])
        }
        guard
            let group = meshes["meshes"]?.arrayValue?.first(where: { $0["name"]?.stringValue == site.deviceGroup })?["_id"]?.stringValue,
            group.hasPrefix("mesh//")
        else {
            throw MeshUnavailable(detail: "MeshCentral has no device group named '\(site.deviceGroup)' (mesh_device_group)")
        }
        let meshID = Self.formEncoded(String(group.dropFirst(6)))
        var base = installerURL.isEmpty ? site.site : installerURL
        while base.hasSuffix("/") { base.removeLast() }
        let url =
            ident == 10005 || plat != "windows"
            ? "\(base)/meshagents?id=\(meshID)&installflags=2&meshinstall=\(ident)"
            : "\(base)/meshagents?id=\(ident)&meshid=\(meshID)&installflags=0"
        let data = try await download(url, within: deadline - ContinuousClock.now)
        return PluginResponse(
            status: 200, contentType: "application/octet-stream", headers: ["Content-Disposition": "attachment; filename=meshagent"],
            body: data)
    }

    /// The largest installer taken from MeshCentral. Its agents are a few MiB (the macOS
    /// universal one the largest); the bound keeps a wrong URL from filling the memory.
    static let installerLimit = 64 << 20

    /// GETs `url` on a thread of its own (libcurl blocks), at most installerLimit, within `budget`.
    func download(_ url: String, within budget: Duration) async throws -> Data {
        let milliseconds = max(1, Int((Double(budget.components.seconds) + Double(budget.components.attoseconds) / 1e18) * 1000))
        let verify = verifyCertificate
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                var buffer = mcurl_buf(data: nil, len: 0, cap: 0, limit: Self.installerLimit, over: 0)
                var status = 0
                var errbuf = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE))
                let rc = mcurl_get(url, milliseconds, verify ? 1 : 0, &buffer, &status, &errbuf)
                if rc != 0 || buffer.over != 0 || status != 200 {
                    free(buffer.data)
                    let message = String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    let why =
                        buffer.over != 0
                        ? "the installer is larger than \(Self.installerLimit >> 20) MiB"
                        : rc != 0 ? (message.isEmpty ? String(validatingCString: mcurl_strerror(rc)) ?? "error \(rc)" : message) : "HTTP \(status)"
                    continuation.resume(throwing: MeshUnavailable(detail: "MeshCentral's installer download failed: \(why)"))
                    return
                }
                // The body is handed over without a copy: the one the host makes to send it is the
                // only other (the ABI's call_respond takes the whole body; it cannot be streamed).
                guard let bytes = buffer.data else { return continuation.resume(returning: Data()) }
                continuation.resume(returning: Data(bytesNoCopy: bytes, count: buffer.len, deallocator: .free))
            }
        }
    }

    /// Says once at start whether the bridge is set up.
    func announce() async {
        do {
            _ = try await site()
            host.log(.info, "MeshCentral bridge set up")
        } catch let error as PluginHTTPError {
            host.log(.info, "idle: \(error.detail)")
        } catch {
            host.log(.info, "idle until the global settings can be read: \(error)")
        }
    }

    /// The MeshCentral settings from /core/settings/; 400 naming what is missing.
    func site() async throws -> MeshSite {
        let settings = try await host.coreObject(kindNamed: "core_settings", id: "1")
        do {
            return try MeshSite(text: { settings[$0]?.stringValue }, syncWithTRMM: settings["sync_mesh_with_trmm"]?.boolValue ?? true)
        } catch {
            throw PluginHTTPError(400, "\(error)")
        }
    }

    /// The agent as core_get "agent" renders it, if the caller's role may see it; 404 otherwise.
    func visibleAgent(_ req: PluginRequest) async throws -> (id: String, agent: JSON) {
        let agentID = req.params["agent_id"] ?? ""
        let agent: JSON
        do {
            agent = try await host.coreObject(kind: .agent, id: agentID)
        } catch let error as PluginError where error.status == .notFound {
            throw PluginHTTPError(404, "No agent with id \(agentID).")
        }
        guard let client = agent["client"]?.intValue, req.roleScope.allows(clientID: client, siteID: agent["site"]?.intValue) else {
            throw PluginHTTPError(404, "No agent with id \(agentID).")
        }
        return (agentID, agent)
    }

    /// GET /agents/<agent_id>/meshcentral/: control, terminal and file links for the operator.
    func takeControl(_ req: PluginRequest) async throws -> PluginResponse {
        // The agent and the settings are two independent host calls: asked at once, the route
        // waits for one round trip instead of two. The agent's answer counts first (404 before 400).
        async let settings = site()
        let (agentID, agent) = try await visibleAgent(req)
        let site = try await settings
        let node = agent["mesh_node_id"]?.stringValue ?? ""
        guard !node.isEmpty else { throw PluginHTTPError(400, "Missing mesh node id") }
        let username = req.principal["username"]?.stringValue ?? ""
        let userID = req.principal["user_id"]?.intValue ?? 0
        let user = site.loginUser(username: username, userID: userID)
        let token = try MeshTokens.login(key: site.key, user: user, time: Int(Date().timeIntervalSince1970))
        let links = site.links(token: token, nodeHex: node)
        let hostname = agent["hostname"]?.stringValue ?? ""
        try? host.audit(
            action: "remote_session", username: username, agentID: agentID, object: "mesh session",
            detail: ["message": .string("\(username) used Mesh Central to initiate a remote session to \(hostname).")],
            ip: req.sourceIP)
        return try .json([
            "hostname": JSON.string(hostname), "control": .string(links.control), "terminal": .string(links.terminal),
            "file": .string(links.file), "status": agent["status"] ?? .null, "client": agent["client_name"] ?? .null,
            "site": agent["site_name"] ?? .null,
        ] as JSON)
    }

    /// POST /agents/<agent_id>/meshcentral/recover/: the agent restarts its mesh agent (NATS
    /// `recover` mode mesh, 90 s).
    func recover(_ req: PluginRequest) async throws -> PluginResponse {
        let (agentID, agent) = try await visibleAgent(req)
        // The wait is longer than the host's usual deadline for a plugin route. A 1.1 host has
        // no call_set_timeout: there its deadline stands and a slow agent gets 504.
        try? req.setTimeout(.seconds(95))
        let hostname = agent["hostname"]?.stringValue ?? ""
        let reply: JSON
        do {
            reply = try await host.agentRequest(
                agentID: agentID, payload: ["func": "recover", "payload": ["mode": "mesh"]] as JSON, timeout: .seconds(90))
        } catch {
            throw PluginHTTPError(400, "Unable to contact the agent")
        }
        guard reply.stringValue == "ok" else { throw PluginHTTPError(400, "Unable to contact the agent") }
        try? host.audit(
            action: "recover", username: req.principal["username"]?.stringValue, agentID: agentID, object: "mesh agent",
            detail: ["message": .string("Mesh agent repaired on \(hostname)")], ip: req.sourceIP)
        return try .json(JSON.string("Repaired mesh agent on \(hostname)"))
    }
}
