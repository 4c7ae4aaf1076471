import Foundation
import PatchingCore
import PluginKit

/// The periodic work, on the host scheduler (never a timer of the plugin's own).
extension Patching {
    static let approveKind = "winupdate.approve"
    static let installCheckKind = "winupdate.install_check"
    static let installAgentKind = "winupdate.install_agent"

    func registerJobs(_ r: Registrar) throws {
        try r.jobKind(Self.approveKind) { run in try await self.approveAll(now: Self.now(run)) }
        try r.jobKind(Self.installCheckKind) { run in try await self.installCheck(now: Self.now(run)) }
        try r.jobKind(Self.installAgentKind) { run in try await self.installWaiting(run.agentID.isEmpty ? run.payload["agent_id"]?.stringValue : run.agentID) }
    }

    /// The run's clock: `payload.now` (RFC 3339) when given -- how tests step the hourly
    /// check through days -- else the real time.
    static func now(_ run: JobRun) -> Date {
        if let text = run.payload["now"]?.stringValue, let date = ISO8601DateFormatter().date(from: text) { return date }
        return Date()
    }

    func ensureSchedules() async {
        for attempt in 1...50 {
            do {
                if settings.approveTask {
                    _ = try await host.upsertSchedule(["id": "approve", "kind": .string(Self.approveKind), "cron": "2 0,8,16 * * *"] as JSON)
                } else {
                    try? await host.cancelSchedule(id: "approve")
                }
                if settings.installTask {
                    _ = try await host.upsertSchedule(["id": "install-check", "kind": .string(Self.installCheckKind), "cron": "5 * * * *"] as JSON)
                } else {
                    try? await host.cancelSchedule(id: "install-check")
                }
                return
            } catch {
                if attempt == 50 { host.log(.warning, "schedules: \(error)"); return }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Agent versions from 1.3.0 on take getwinupdates and installwinupdates.
    static func supportsPatching(_ version: String?) -> Bool {
        let parts = (version ?? "").split(separator: ".").map { Int($0.prefix { $0.isNumber }) ?? 0 }
        let padded = parts + Array(repeating: 0, count: max(0, 3 - parts.count))
        return padded.lexicographicallyPrecedes([1, 3, 0]) == false
    }

    /// winupdate.approve: approvals by each agent's effective policy, then a scan request to
    /// every online Windows agent, 40 per second as Tactical RMM paces them.
    func approveAll(now: Date) async throws -> JSON? {
        struct A: Decodable { let agent_id: String }
        let withUpdates: [A] = try await host.query("SELECT DISTINCT agent_id FROM updates WHERE NOT installed")
        var approved = 0
        for row in withUpdates {
            do {
                guard let agent = try await loadAgent(row.agent_id) else { continue }
                approved += try await approve(agent.agent_id, policy: try await effectivePolicy(agent))
            } catch { host.log(.notice, "approvals for \(row.agent_id): \(error)") }
        }
        struct T: Decodable { let agent_id: String; let plat: String?; let status: String? }
        let targets = try JSONDecoder().decode([T].self, from: try await host.coreData(kindNamed: "agent_targets", id: "all"))
        let online = targets.filter { ($0.plat ?? "windows") == "windows" && $0.status == "online" }
        for (index, target) in online.enumerated() {
            if index > 0, index % 40 == 0 { try? await Task.sleep(for: .seconds(1)) }
            try? host.agentSend(agentID: target.agent_id, payload: ["func": "getwinupdates"] as JSON)
        }
        // Linux agents scan through runscript, one after another in the background.
        let linux = targets.filter { $0.plat == "linux" && $0.status == "online" }.map(\.agent_id)
        if !linux.isEmpty {
            Task {
                for id in linux { if let agent = try? await self.loadAgent(id) { await self.linuxScan(agent) } }
            }
        }
        return ["approved": .number(Double(approved)), "scanned": .number(Double(online.count + linux.count))]
    }

    /// What the hourly check reads about each agent with approved updates.
    struct ScheduleFacts: Decodable {
        let agent_id: String
        let plat: String?
        let version: String?
        let status: String?
        let time_zone: String?
    }

    /// winupdate.install_check: each agent with approved updates whose effective policy's slot
    /// is now (in the agent's time zone) and that has not installed today gets
    /// installwinupdates; an offline one gets a one-shot schedule that runs when it is back.
    func installCheck(now: Date) async throws -> JSON? {
        struct C: Decodable { let agent_id: String; let last: Double? }
        let candidates: [C] = try await host.query(
            """
            SELECT u.agent_id, extract(epoch FROM s.patches_last_installed)::float8 AS last
            FROM (SELECT DISTINCT agent_id FROM updates WHERE action = 'approve' AND NOT installed) u
            LEFT JOIN agent_state s USING (agent_id)
            """)
        guard !candidates.isEmpty else { return ["installed": 0, "waiting": 0] }
        let facts = try JSONDecoder().decode(
            [ScheduleFacts].self, from: try await host.coreData(kindNamed: "agent_variables", id: "all"))
        let byID = Dictionary(facts.map { ($0.agent_id, $0) }, uniquingKeysWith: { a, _ in a })
        let fallbackZone = TimeZone(identifier: settings.defaultTimeZone) ?? TimeZone(identifier: "UTC")!
        var installed = 0, waiting = 0
        for candidate in candidates {
            guard let fact = byID[candidate.agent_id],
                fact.plat == "linux" || ((fact.plat ?? "windows") == "windows" && Self.supportsPatching(fact.version))
            else {
                continue
            }
            do {
                guard let agent = try await loadAgent(candidate.agent_id) else { continue }
                await cleanupSuperseded(agent.agent_id)
                let policy = try await effectivePolicy(agent)
                let zone = fact.time_zone.flatMap(TimeZone.init(identifier:)) ?? fallbackZone
                let last = candidate.last.map { Date(timeIntervalSince1970: $0) }
                guard InstallSchedule.isDue(policy, now: now, zone: zone, lastInstalled: last) else { continue }
                if fact.status == "online" {
                    guard try await sendInstall(agent) else { continue }
                    installed += 1
                } else {
                    // Runs once, as soon as the agent is online again (the scheduler's agent runs);
                    // "at" a moment ahead, since a one-shot time already past has no next run.
                    _ = try await host.upsertSchedule(
                        [
                            "id": .string("install-\(agent.agent_id)"), "kind": .string(Self.installAgentKind),
                            "at": .string(ISO8601DateFormatter().string(from: Date().addingTimeInterval(2))), "agent_id": .string(agent.agent_id),
                            "payload": ["agent_id": .string(agent.agent_id)],
                        ] as JSON)
                    waiting += 1
                }
                try await host.execute(
                    """
                    INSERT INTO agent_state (agent_id, patches_last_installed) VALUES ($1, to_timestamp($2::float8))
                    ON CONFLICT (agent_id) DO UPDATE SET patches_last_installed = EXCLUDED.patches_last_installed
                    """, [agent.agent_id, now.timeIntervalSince1970])
            } catch { host.log(.notice, "install check for \(candidate.agent_id): \(error)") }
        }
        return ["installed": .number(Double(installed)), "waiting": .number(Double(waiting))]
    }

    /// winupdate.install_agent: the install that waited for its agent to come back.
    func installWaiting(_ agentID: String?) async throws -> JSON? {
        guard let agentID, let agent = try await loadAgent(agentID) else { return ["installed": false] }
        await cleanupSuperseded(agentID)
        return ["installed": .bool(try await sendInstall(agent))]
    }

    /// scripting.bulk.patch: the bulk run's agents, already filtered by the caller's scope.
    /// "install": each gets cleanup, approvals and its install; "scan": the Linux ones scan.
    func bulkPatch(_ event: PluginEvent) async {
        guard let ids = event.json["agents"]?.arrayValue else { return }
        if event.json["patch_mode"]?.stringValue == "scan" {
            // Linux agents of a bulk scan (Windows ones got getwinupdates from the scripting plugin).
            for id in ids.compactMap(\.stringValue) {
                if let agent = try? await loadAgent(id), agent.isLinux { await linuxScan(agent) }
            }
            return
        }
        guard event.json["patch_mode"]?.stringValue == "install" else { return }
        // A few agents at a time: each is a handful of short queries, and a fleet of
        // thousands should not wait for them one after another (nor take every connection).
        let pending = ids.compactMap(\.stringValue)
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            func start() {
                let id = pending[next]
                next += 1
                group.addTask { await self.bulkInstallOne(id) }
            }
            while next < min(Self.bulkInstallWidth, pending.count) { start() }
            while await group.next() != nil { if next < pending.count { start() } }
        }
    }

    static let bulkInstallWidth = 8

    func bulkInstallOne(_ id: String) async {
        do {
            guard let agent = try await loadAgent(id), agent.isPatchable else { return }
            await cleanupSuperseded(id)
            try await approve(id, policy: try await effectivePolicy(agent))
            try await sendInstall(agent)
        } catch { host.log(.notice, "bulk install on \(id): \(error)") }
    }
}
