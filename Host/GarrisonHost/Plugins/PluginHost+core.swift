import CGarrisonPlugin
import Foundation
import Logging

/// log, settings, core_get and audit: the host's own data and services, read-only or
/// append-only for plugins.
extension PluginHost {
    static let logLevels: [Logger.Level] = [.trace, .debug, .info, .notice, .warning, .error, .critical]

    func log(level: Int32, message: garrison_bytes) {
        let index = Int(min(max(level, 0), Int32(Self.logLevels.count - 1)))
        logger.log(level: Self.logLevels[index], "\(message.lossyString)")
    }

    /// core_get: an agent, client or site as the operator API renders it.
    func coreGet(kind: garrison_bytes, id: garrison_bytes, done: garrison_done_fn?, user: UnsafeMutableRawPointer?, cancelOut: UnsafeMutablePointer<UInt64>?) -> Int32 {
        cancelOut?.pointee = 0
        guard let done, let key = id.string, !key.isEmpty, let kindText = kind.string else { return GARRISON_ERR_INVALID }
        guard ["agent", "client", "site"].contains(kindText) || Self.scriptingKinds.contains(kindText) else { return GARRISON_ERR_UNSUPPORTED }
        guard let operation = startOperation(done: done, user: user) else { return GARRISON_ERR_PHASE }
        cancelOut?.pointee = operation.token
        guard let pool = services.pool else {
            Task { operation.complete(GARRISON_ERR_UNAVAILABLE, "no database in this run (garrison plugins)") }
            return GARRISON_OK
        }
        Task {
            do {
                if let object = try await Self.coreObject(kindText, key, pool: pool) {
                    operation.complete(GARRISON_OK, object.databaseText)
                } else {
                    operation.complete(GARRISON_ERR_NOT_FOUND, "no \(kindText) \(key)")
                }
            } catch let error as DatabaseError {
                operation.complete(Self.status(for: error) == GARRISON_ERR_UNAVAILABLE ? GARRISON_ERR_UNAVAILABLE : GARRISON_ERR_INTERNAL, "\(error)")
            } catch {
                operation.complete(GARRISON_ERR_INTERNAL, "\(error)")
            }
        }
        return GARRISON_OK
    }

    static func coreObject(_ kind: String, _ key: String, pool: DatabasePool) async throws -> JSONValue? {
        switch kind {
        case "agent":
            let row = try await pool.query("SELECT \(AgentQueries.detailColumns) \(AgentQueries.from) WHERE a.agent_id = $1", [key]).first
            return row.map { AgentQueries.render($0, detail: true) }
        case "client":
            guard let id = Int(key), let row = try await pool.query("SELECT \(ClientRoutes.clientColumns) FROM clients c WHERE c.id = $1", [String(id)]).first else { return nil }
            let sites = try await pool.query("SELECT \(ClientRoutes.siteColumns) FROM sites s JOIN clients c ON c.id = s.client_id WHERE s.client_id = $1 ORDER BY s.name", [String(id)]).rows
            return ClientRoutes.renderClient(row, sites: sites.map(ClientRoutes.renderSite))
        case _ where scriptingKinds.contains(kind):
            return try await scriptingObject(kind, key, pool: pool)
        default:
            guard let id = Int(key) else { return nil }
            let row = try await pool.query("SELECT \(ClientRoutes.siteColumns) FROM sites s JOIN clients c ON c.id = s.client_id WHERE s.id = $1", [String(id)]).first
            return row.map(ClientRoutes.renderSite)
        }
    }

    /// audit (1.1): queued; a failed write is logged, as the plugin has nobody to tell.
    func audit(_ entryJSON: garrison_bytes) -> Int32 {
        guard !entryJSON.isMalformed, let value = try? JSONValue.parse(entryJSON.data), let object = value.objectValue,
              let action = object["action"]?.stringValue, !action.isEmpty
        else { return GARRISON_ERR_INVALID }
        guard withState({ $0.instance.acceptsServiceCalls }) else { return GARRISON_ERR_PHASE }
        guard let audit = services.audit else { return GARRISON_ERR_UNAVAILABLE }
        let entry = AuditLog.PluginEntry(
            plugin: name, action: action, username: object["username"]?.stringValue, agentID: object["agent_id"]?.stringValue,
            object: object["object"]?.stringValue, detail: object["detail"])
        let logger = self.logger
        Task {
            do { try await audit.record(entry) } catch {
                logger.error("audit write failed", metadata: ["action": "\(action)", "error": "\(error)"])
            }
        }
        return GARRISON_OK
    }
}
