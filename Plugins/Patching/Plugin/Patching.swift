import Foundation
import PatchingCore
import PluginKit

/// winupdate -- Tactical RMM's Windows update management (Plugins/Patching/README.md).
///
/// Agent routes (permission "agent"; the agent is the token's, a body agent_id must match):
///   POST  /api/v3/winupdates/   {"agent_id","wua_updates":[WUAPackage]}  scan results
///   PATCH /api/v3/winupdates/   {"agent_id","guid","success"}            one install result
///   PUT   /api/v3/winupdates/   {"agent_id","needs_reboot"}              after an install run
///   POST  /api/v3/superseded/   {"agent_id","guid"}                      the update is gone
///
/// Operator routes (can_manage_winupdates plus the agent's scope; 404 outside it):
///   GET  /winupdate/<agent_id>/            the agent's updates, newest first
///   GET  /winupdate/<agent_id>/policy/     the agent's own and effective patch policy (Garrison)
///   POST /winupdate/<agent_id>/scan/       getwinupdates
///   POST /winupdate/<agent_id>/install/    cleanup, approve by policy, installwinupdates
///   PUT  /winupdate/<pk>/                  {"action": "approve" | "ignore" | "nothing"}
/// Patch policies (can_manage_automation_policies):
///   POST /automation/patchpolicy/, GET|PUT|DELETE /automation/patchpolicy/<pk>/,
///   POST /automation/patchpolicy/reset/
///
/// Jobs on the host scheduler: winupdate.approve (00:02, 08:02, 16:02 UTC: approvals by
/// policy, then a scan of online Windows agents), winupdate.install_check (hourly at :05:
/// installs at each agent's policy time, once per local day; an offline agent's install
/// waits in a one-shot schedule tied to the agent and runs when it is back),
/// winupdate.install_agent (that one-shot run).
/// Events: agent.checkin (getwinupdates), agent.deleted (its rows go), core.policy.deleted
/// (the policy's patch policy goes), scripting.bulk.patch (a bulk "patch" run's agents).
final class Patching: GarrisonPlugin {
    static let name: StaticString = "winupdate"
    static let version: StaticString = "0.1.0"
    /// 1.3: winupdatepolicy and the patch status are agent members (register_agent_member).
    static let minHostMinor: UInt16 = 3

    let host: PluginHost
    let settings: Settings

    init(host: PluginHost) throws {
        self.host = host
        self.settings = try host.settings(Settings.self)
        guard TimeZone(identifier: settings.defaultTimeZone) != nil else {
            throw PluginError(.invalid, "[settings]: default_time_zone \"\(settings.defaultTimeZone)\" is not a known time zone")
        }
    }

    func register(_ r: Registrar) throws {
        try r.migration(version: 1, sql: Schema.v1)
        try registerAgentRoutes(r)
        try registerOperatorRoutes(r)
        try registerPolicyRoutes(r)
        try registerAgentMembers(r)
        try registerJobs(r)
        try r.subscribe("agent.checkin") { event in await self.checkedIn(event) }
        try r.subscribe("agent.deleted") { event in await self.agentDeleted(event) }
        try r.subscribe("core.policy.deleted") { event in await self.policyDeleted(event) }
        try r.subscribe("scripting.bulk.patch") { event in await self.bulkPatch(event) }
        try r.subscribe("core.started") { _ in await self.ensureSchedules() }
        Task { await self.ensureSchedules() }
    }

    // MARK: agents

    /// What the plugin reads about an agent (core_get "agent_brief").
    struct Agent: Sendable, Decodable {
        struct Applied: Decodable, Sendable { let id: Int }
        let id: Int
        let agent_id: String
        let hostname: String
        let plat: String?
        let monitoring_type: String?
        let version: String?
        let status: String?
        let client: Int
        let site: Int
        let policies: [Applied]?

        var policyIDs: [Int] { (policies ?? []).map(\.id) }
        var isWindows: Bool { (plat ?? "windows") == "windows" }
        var isLinux: Bool { plat == "linux" }
        /// Windows updates, or Linux packages through runscript.
        var isPatchable: Bool { isWindows || isLinux }
        var isOnline: Bool { status == "online" }
    }

    func loadAgent(_ agentID: String) async throws -> Agent? {
        try await host.coreObject(kindNamed: "agent_brief", id: agentID, as: Agent.self)
    }

    /// The agent, if the caller's role may see it; 404 otherwise.
    func visibleAgent(_ req: PluginRequest, _ agentID: String) async throws -> Agent {
        guard let agent = try await loadAgent(agentID), req.roleScope.allows(clientID: agent.client, siteID: agent.site) else {
            throw PluginHTTPError(404, "No Agent matches the given query.")
        }
        return agent
    }

    // MARK: policies

    static let policyJSON = """
        json_build_object('id', id, 'agent', agent_pk, 'policy', policy_id, 'critical', critical, 'important', important,
            'moderate', moderate, 'low', low, 'other', other, 'run_time_hour', run_time_hour, 'run_time_frequency', run_time_frequency,
            'run_time_days', run_time_days, 'run_time_day', run_time_day, 'reboot_after_install', reboot_after_install,
            'reprocess_failed_inherit', reprocess_failed_inherit, 'reprocess_failed', reprocess_failed,
            'reprocess_failed_times', reprocess_failed_times, 'email_if_fail', email_if_fail,
            'created_by', created_by, 'created_time', created_time, 'modified_by', modified_by, 'modified_time', modified_time)::text AS j,
        agent_id, policy_id
        """

    struct PolicyRow: Decodable { let j: String; let agent_id: String?; let policy_id: Int? }

    static func decodePolicy(_ text: String) throws -> PatchPolicy {
        try JSONDecoder().decode(PatchPolicy.self, from: Data(text.utf8))
    }

    /// The agent's own patch policy, made with Tactical RMM's defaults when it has none
    /// (workstations install on Saturday and Sunday).
    func ownPolicyText(_ agent: Agent) async throws -> String {
        let days = agent.monitoring_type == "workstation" ? "[5, 6]" : "[]"
        let rows: [PolicyRow] = try await host.query(
            """
            WITH made AS (
                INSERT INTO policies (agent_id, agent_pk, run_time_days) VALUES ($1, $2, $3::jsonb)
                ON CONFLICT (agent_id) DO NOTHING RETURNING *
            )
            SELECT \(Self.policyJSON) FROM made UNION ALL SELECT \(Self.policyJSON) FROM policies WHERE agent_id = $1
            """, [agent.agent_id, agent.id, days])
        if let row = rows.first { return row.j }
        // Another call made it at the same moment: its row committed after this statement's
        // snapshot, so read it again.
        let again: [PolicyRow] = try await host.query("SELECT \(Self.policyJSON) FROM policies WHERE agent_id = $1", [agent.agent_id])
        guard let row = again.first else { throw PluginHTTPError(503, "the agent's patch policy could not be read; try again") }
        return row.j
    }

    /// The effective patch policy (§2 of the reference, docs/compatibility.md): the first of
    /// the agent's active policies, in Tactical RMM's precedence, that has a patch policy,
    /// with the agent's own non-inherit values over it.
    func effectivePolicy(_ agent: Agent) async throws -> PatchPolicy {
        let own = try Self.decodePolicy(try await ownPolicyText(agent))
        let ids = agent.policyIDs
        guard !ids.isEmpty else { return own }
        let rows: [PolicyRow] = try await host.query(
            "SELECT \(Self.policyJSON) FROM policies WHERE policy_id = ANY($1::bigint[])", [Self.pgArray(ids)])
        let byPolicy = Dictionary(rows.compactMap { row in row.policy_id.map { ($0, row.j) } }, uniquingKeysWith: { a, _ in a })
        let ordered = try ids.compactMap { id in try byPolicy[id].map(Self.decodePolicy) }
        return PatchPolicy.effective(agent: own, policies: ordered)
    }

    static func pgArray(_ ids: [Int]) -> String { "{" + ids.map(String.init).joined(separator: ",") + "}" }

    static func pgTextArray(_ items: [String]) -> String {
        "{" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    // MARK: approval, cleanup, install

    /// Approves every not-installed update whose severity the policy approves.
    @discardableResult
    func approve(_ agentID: String, policy: PatchPolicy) async throws -> Int {
        let severities = policy.approvedSeverities
        guard !severities.isEmpty else { return 0 }
        let rows: [CountRow] = try await host.query(
            """
            WITH changed AS (
                UPDATE updates SET action = 'approve'
                WHERE agent_id = $1 AND NOT installed AND action <> 'approve' AND severity = ANY($2::text[]) RETURNING 1
            ) SELECT count(*)::int AS n FROM changed
            """, [agentID, Self.pgTextArray(severities)])
        return rows.first?.n ?? 0
    }

    func approvedGUIDs(_ agentID: String) async throws -> [String] {
        struct G: Decodable { let guid: String }
        let rows: [G] = try await host.query(
            "SELECT guid FROM updates WHERE agent_id = $1 AND action = 'approve' AND NOT installed ORDER BY id", [agentID])
        return rows.map(\.guid)
    }

    /// Deletes superseded duplicates of the agent's KBs. Failures are logged, never raised:
    /// the cleanup is housekeeping around other work.
    func cleanupSuperseded(_ agentID: String) async {
        struct R: Decodable { let id: Int; let kb: String; let title: String }
        do {
            let rows: [R] = try await host.query(
                """
                SELECT id::int AS id, kb, title FROM updates
                WHERE agent_id = $1 AND kb IN (SELECT kb FROM updates WHERE agent_id = $1 GROUP BY kb HAVING count(*) > 1)
                ORDER BY id
                """, [agentID])
            guard !rows.isEmpty else { return }
            let doomed = Superseded.toDelete(rows.map { Superseded.Row(id: $0.id, kb: $0.kb, title: $0.title) })
            guard !doomed.isEmpty else { return }
            try await host.execute("DELETE FROM updates WHERE agent_id = $1 AND id = ANY($2::bigint[])", [agentID, Self.pgArray(doomed)])
        } catch {
            host.log(.notice, "superseded cleanup for \(agentID): \(error)")
        }
    }

    /// Sends installwinupdates with the approved GUIDs (a Linux agent: runs the install
    /// script for the approved packages, in the background); false when there are none.
    @discardableResult
    func sendInstall(_ agent: Agent) async throws -> Bool {
        let guids = try await approvedGUIDs(agent.agent_id)
        guard !guids.isEmpty else { return false }
        if agent.isLinux {
            host.log(.debug, "Installing package updates on \(agent.hostname)")
            Task { await self.linuxInstall(agent, guids: guids) }
            return true
        }
        host.log(.debug, "Installing windows updates on \(agent.hostname)")
        try host.agentSend(agentID: agent.agent_id, payload: ["func": "installwinupdates", "guids": .array(guids.map(JSON.string))] as JSON)
        return true
    }

    // MARK: events

    func checkedIn(_ event: PluginEvent) async {
        guard let agentID = event.json["agent_id"]?.stringValue else { return }
        do {
            guard let agent = try await loadAgent(agentID), agent.isWindows else { return }
            try host.agentSend(agentID: agentID, payload: ["func": "getwinupdates"] as JSON)
        } catch { host.log(.notice, "getwinupdates on check-in of \(agentID): \(error)") }
    }

    func agentDeleted(_ event: PluginEvent) async {
        guard let agentID = event.json["agent_id"]?.stringValue else { return }
        do {
            try await host.execute(
                """
                WITH u AS (DELETE FROM updates WHERE agent_id = $1), p AS (DELETE FROM policies WHERE agent_id = $1)
                DELETE FROM agent_state WHERE agent_id = $1
                """, [agentID])
            try? await host.cancelSchedule(id: "install-\(agentID)")
        } catch { host.log(.warning, "dropping patch rows of deleted agent \(agentID): \(error)") }
    }

    func policyDeleted(_ event: PluginEvent) async {
        guard let id = event.json["id"]?.intValue else { return }
        do { try await host.execute("DELETE FROM policies WHERE policy_id = $1", [id]) } catch {
            host.log(.warning, "dropping the patch policy of deleted policy \(id): \(error)")
        }
    }
}

struct CountRow: Decodable, Sendable { let n: Int }

extension PluginRequest {
    /// The operator's name for created_by / audit; empty for agents.
    var username: String { principal["username"]?.stringValue ?? "" }

    /// The body as a JSON value; a malformed body is a 400.
    func jsonValue() throws -> JSON {
        if body.isEmpty { return .object([:]) }
        do { return try JSON(parsing: body) } catch { throw PluginHTTPError(400, "invalid request body: not JSON") }
    }
}

extension PatchInputError {
    var http: PluginHTTPError { PluginHTTPError(400, detail) }
}

/// Runs `body`, turning an input refusal into a 400.
func checked<T>(_ body: () throws(PatchInputError) -> T) throws -> T {
    do { return try body() } catch { throw error.http }
}
