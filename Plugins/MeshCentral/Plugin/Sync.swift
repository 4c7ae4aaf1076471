import Foundation
import MeshCentralCore
import PluginKit
import Synchronization

/// The user and permission sync as a scheduler job (meshcentral.sync): every
/// sync_every_seconds and soon after operators, roles, the global settings, an agent's node
/// id or site change, or an agent is deleted. Each run starts from what MeshCentral says now, so a run that failed half
/// way is finished by the next one. Every run is recorded in sync_runs.
extension MeshCentral {
    static let scheduleID = "meshcentral-sync"

    func registerSync(_ r: Registrar) throws {
        try r.jobKind("meshcentral.sync") { _ in try await self.syncRun() }
        for event in ["core.accounts.changed", "agent.meshnode", "agent.moved"] {
            try r.subscribe(event) { _ in self.kickSync() }
        }
        try r.subscribe("agent.deleted") { event in
            await self.removeDevice(event)
            self.kickSync()
        }
        try r.subscribe("core.started") { _ in await self.ensureSchedule() }
        Task { await self.ensureSchedule() }
    }

    func ensureSchedule() async {
        for attempt in 1...50 {
            do {
                _ = try await host.upsertSchedule(
                    ["id": JSON.string(Self.scheduleID), "kind": "meshcentral.sync", "every_s": .number(Double(syncEvery))] as JSON)
                return
            } catch {
                if attempt == 50 { host.log(.warning, "sync schedule: \(error)"); return }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// A sync soon; several kicks while one runs make one more run, not many.
    func kickSync() {
        let start = syncState.withLock { state -> Bool in
            if state.running { state.again = true; return false }
            state.running = true
            return true
        }
        guard start else { return }
        Task {
            while true {
                _ = try? await self.syncRun()
                let again = syncState.withLock { state -> Bool in
                    if state.again { state.again = false; return true }
                    state.running = false
                    return false
                }
                if !again { return }
            }
        }
    }

    /// One sync; the job's result. Not set up: nothing done, said in the result.
    func syncRun() async throws -> JSON {
        let site: MeshSite
        do { site = try await self.site() } catch let error as PluginHTTPError {
            return ["skipped": .string(error.detail)]
        }
        let runID = try await host.queryRows("INSERT INTO sync_runs DEFAULT VALUES RETURNING id", []).first?["id"]?.intValue ?? 0
        do {
            let count = try await sync(site)
            try await host.execute("UPDATE sync_runs SET finished = now(), ok = true, commands = $2 WHERE id = $1", [runID, count])
            return ["commands": .number(Double(count))]
        } catch {
            let detail = (error as? MeshUnavailable)?.detail ?? "\(error)"
            try? await host.execute("UPDATE sync_runs SET finished = now(), ok = false, error = $2 WHERE id = $1", [runID, detail])
            host.log(.warning, "sync failed (the next run starts over): \(detail)")
            throw error
        }
    }

    /// Reads Garrison's operators and agents and MeshCentral's users and nodes, sends what
    /// differs; returns the number of commands sent.
    func sync(_ site: MeshSite) async throws -> Int {
        let operators = try await host.coreObject(kindNamed: "operators", id: "active").arrayValue ?? []
        let agents = try await host.coreObject(kindNamed: "agent_mesh_nodes", id: "all").arrayValue ?? []
        let plannedOperators = operators.compactMap { o -> SyncPlan.Operator? in
            guard let id = o["id"]?.intValue, let username = o["username"]?.stringValue else { return nil }
            return SyncPlan.Operator(
                id: id, username: username, firstName: o["first_name"]?.stringValue ?? "", lastName: o["last_name"]?.stringValue ?? "",
                isSuperuser: o["is_superuser"]?.boolValue ?? false,
                permissions: Set(o["permissions"]?.arrayValue?.compactMap(\.stringValue) ?? []),
                clients: Set(o["can_view_clients"]?.arrayValue?.compactMap(\.intValue) ?? []),
                sites: Set(o["can_view_sites"]?.arrayValue?.compactMap(\.intValue) ?? []))
        }
        let plannedAgents = agents.compactMap { a -> SyncPlan.Agent? in
            guard let node = a["mesh_node_id"]?.stringValue, MeshIDs.isAgentNodeID(node), let client = a["client_id"]?.intValue,
                let siteID = a["site_id"]?.intValue
            else { return nil }
            return SyncPlan.Agent(nodeHex: node, client: client, site: siteID)
        }
        let url = try controlSocketURL(site)
        return try await control.session(url: url, timeout: syncTimeout) { connection in
            let users = try await connection.request(["action": "users", "responseid": "meshctrl"])
            let commands: [JSON]
            if site.syncWithTRMM {
                let nodes = try await connection.request(["action": "nodes", "responseid": "meshctrl"])
                commands = SyncPlan.plan(
                    operators: plannedOperators, agents: plannedAgents, users: users, nodes: nodes, company: site.companyName)
            } else {
                commands = SyncPlan.removeAll(users: users)
            }
            for command in commands { try await connection.send(command) }
            // MeshCentral handles a socket's frames in order: its answer to this comes after
            // every command above was taken.
            if !commands.isEmpty { _ = try await connection.request(["action": "users", "responseid": "meshctrl"]) }
            return commands.count
        }
    }
}
