import CGarrisonPlugin
import Foundation
import Logging

/// log, settings, core_get and audit: the host's own data and services, read-only or
/// append-only for plugins.
extension LoadedPlugin {
    static let logLevels: [Logger.Level] = [.trace, .debug, .info, .notice, .warning, .error, .critical]

    func log(level: Int32, message: garrison_bytes) {
        let index = Int(min(max(level, 0), Int32(Self.logLevels.count - 1)))
        logger.log(level: Self.logLevels[index], "\(message.lossyString)")
    }

    /// The kinds core_get answers (the header's core_get comment describes each).
    static let coreKinds: Set<String> = [
        "agent", "agent_brief", "client", "site", "agent_policies", "policy", "agents", "may_manage_user", "policy_reach",
        "core_settings",
    ]

    /// core_get: an agent, client, site or policy as the operator API renders it; the
    /// policies applying to an agent; the agent_ids of a client, a site or all agents.
    func coreGet(
        kind: garrison_bytes, id: garrison_bytes, done: garrison_done_fn?, user: UnsafeMutableRawPointer?,
        cancelOut: UnsafeMutablePointer<UInt64>?
    ) -> Int32 {
        cancelOut?.pointee = 0
        guard let done, let key = id.string, !key.isEmpty, let kindText = kind.string else { return GARRISON_ERR_INVALID }
        guard Self.coreKinds.contains(kindText) || Self.scriptingKinds.contains(kindText) || Self.syncKinds.contains(kindText) else { return GARRISON_ERR_UNSUPPORTED }
        guard let operation = startOperation(done: done, user: user) else { return GARRISON_ERR_PHASE }
        cancelOut?.pointee = operation.token
        guard let pool = services.pool else {
            Task { operation.complete(GARRISON_ERR_UNAVAILABLE, "no database in this run (garrison plugins)") }
            return GARRISON_OK
        }
        Task {
            do {
                if let text = try await Self.coreText(kindText, key, pool: pool) {
                    operation.complete(GARRISON_OK, text)
                } else {
                    operation.complete(GARRISON_ERR_NOT_FOUND, "no \(kindText) \(key)")
                }
            } catch let error as DatabaseError {
                operation.complete(
                    Self.status(for: error) == GARRISON_ERR_UNAVAILABLE ? GARRISON_ERR_UNAVAILABLE : GARRISON_ERR_INTERNAL, "\(error)")
            } catch {
                operation.complete(GARRISON_ERR_INTERNAL, "\(error)")
            }
        }
        return GARRISON_OK
    }

    /// The answer's JSON text. Long lists are built by PostgreSQL itself (json_agg), so
    /// 10,000 agents cost no JSON tree here.
    static func coreText(_ kind: String, _ key: String, pool: DatabasePool) async throws -> String? {
        if kind == "agent_targets" { return try await agentTargetsText(key, pool: pool) }
        if kind == "agent_variables" { return try await agentVariablesText(key, pool: pool) }
        if syncKinds.contains(kind) { return try await syncText(kind, key, pool: pool) }
        return try await coreObject(kind, key, pool: pool)?.databaseText
    }

    static func coreObject(_ kind: String, _ key: String, pool: DatabasePool) async throws -> JSON? {
        switch kind {
        case "agent_brief":
            guard
                let row = try await pool.query(
                    "SELECT \(AgentQueries.listColumns), a.custom_fields \(AgentQueries.from) WHERE a.agent_id = $1", [key], prepared: true
                ).first,
                case .object(var fields) = AgentQueries.render(row),
                let applied = try await PolicyQueries.agentPolicies(pool, agentID: key)
            else { return nil }
            fields["custom_fields"] = .fromDatabase(row["custom_fields"], fallback: [:])
            fields["policies"] = .array(
                applied.map { ["id": .init($0.id), "enforced": .init($0.enforced), "source": .init($0.source.rawValue)] })
            return .object(fields)
        case "agent_policies":
            guard let applied = try await PolicyQueries.agentPolicies(pool, agentID: key) else { return nil }
            return .array(applied.map { ["id": .init($0.id), "enforced": .init($0.enforced), "source": .init($0.source.rawValue)] })
        case "policy":
            guard let id = Int(key), let row = try await PolicyQueries.load(pool, id) else { return nil }
            return PolicyQueries.render(row)
        case "agents":
            return try await PolicyQueries.agentIDs(pool, target: key).map { JSON($0) }
        case "agent":
            let row = try await pool.query("SELECT \(AgentQueries.detailColumns) \(AgentQueries.from) WHERE a.agent_id = $1", [key]).first
            return row.map { AgentQueries.render($0, detail: true) }
        case "client":
            guard let id = Int(key), let (client, sites) = try await ClientQueries.client(pool, id: id) else { return nil }
            return client.json(sites: sites)
        case "global":
            return try await keyStoreObject(key, pool: pool)
        case "core_settings":
            // Unredacted: a plugin that bridges to another system needs its key (the
            // meshcentral plugin signs MeshCentral tokens with mesh_token).
            let row = try await pool.query("SELECT settings FROM core_settings WHERE id = 1").first
            return .object(CoreSettings.merged(.fromDatabase(row?["settings"], fallback: [:])))
        case "may_manage_user":
            return try await mayManageUser(key, pool: pool)
        case "policy_reach":
            guard let id = Int(key), try await PolicyQueries.load(pool, id) != nil else { return nil }
            return try await PolicyReach.load(pool, policy: id).json
        case "site":
            guard let id = Int(key) else { return nil }
            return try await ClientQueries.site(pool, id: id)?.json
        default:
            return nil
        }
    }

    /// "may_manage_user", id "<caller user id>:<target user id>": the host's take-over rule
    /// (GrantRules.requireMayManage) for plugin routes that change another operator, so the
    /// rule lives in one place. Nil (not found) when either user does not exist.
    static func mayManageUser(_ key: String, pool: DatabasePool) async throws -> JSON? {
        let parts = key.split(separator: ":")
        guard parts.count == 2, let callerID = Int(parts[0]), let targetID = Int(parts[1]) else { return nil }
        guard let caller = try? await GrantRules.rights(ofUser: callerID, pool) else { return nil }
        let identity = OperatorIdentity(
            id: callerID, username: caller.username, isSuperuser: caller.rights.superuser, permissions: caller.rights.permissions,
            scope: caller.rights.scope, tokenID: nil, limitedScope: nil, viaAPIKey: false, roleID: caller.roleID)
        do {
            let target = try await GrantRules.requireMayManage(user: targetID, caller: identity, pool)
            return ["allowed": true, "username": .string(target.username)]
        } catch let error as APIError where error.status == .forbidden {
            return ["allowed": false, "detail": .string(error.detail)]
        } catch let error as APIError where error.status == .notFound {
            return nil
        }
    }

    /// audit (1.1): queued; a failed write is logged, as the plugin has nobody to tell.
    func audit(_ entryJSON: garrison_bytes) -> Int32 {
        guard !entryJSON.isMalformed, let value = try? JSON.parse(entryJSON.data), let object = value.objectValue,
            let action = object["action"]?.stringValue, !action.isEmpty
        else { return GARRISON_ERR_INVALID }
        guard withState({ $0.instance.acceptsServiceCalls }) else { return GARRISON_ERR_PHASE }
        guard let audit = services.audit else { return GARRISON_ERR_UNAVAILABLE }
        let entry = AuditLog.PluginEntry(
            plugin: name, action: action, username: object["username"]?.stringValue, agentID: object["agent_id"]?.stringValue,
            object: object["object"]?.stringValue, detail: object["detail"], ip: object["ip"]?.stringValue)
        let logger = self.logger
        Task {
            do { try await audit.record(entry) } catch {
                logger.error("audit write failed", metadata: ["action": "\(action)", "error": "\(error)"])
            }
        }
        return GARRISON_OK
    }
}
