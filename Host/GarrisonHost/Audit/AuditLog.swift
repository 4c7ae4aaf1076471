import Foundation
import Logging

/// Writes and queries the audit log: every login, failed login and change, with who, from
/// where, which object, and the object before and after.
public struct AuditLog: Sendable {
    public enum Action: String, Sendable, CaseIterable {
        case login, failedLogin = "failed_login", add, modify, delete, view, checkRun = "check_run", taskRun = "task_run",
            agentInstall = "agent_install", remoteSession = "remote_session", executeScript = "execute_script",
            executeCommand = "execute_command", bulkAction = "bulk_action", urlAction = "url_action", logout,
            /// Garrison's own: a change refused for lack of rights (a grant beyond one's own, a take-over).
            denied
    }

    public struct Entry: Sendable {
        public var username: String
        public var action: Action
        public var objectType: String
        public var message: String
        public var before: JSON?
        public var after: JSON?
        public var agentHostname: String?
        public var agentID: String?
        public var sourceIP: String?
        public var debug: JSON?
        /// The client and site the entry concerns; taken from the agent when there is one.
        public var clientID: Int?
        public var siteID: Int?

        public init(
            username: String, action: Action, objectType: String, message: String, before: JSON? = nil, after: JSON? = nil,
            agentHostname: String? = nil, agentID: String? = nil, sourceIP: String? = nil, debug: JSON? = nil, clientID: Int? = nil,
            siteID: Int? = nil
        ) {
            self.username = username
            self.action = action
            self.objectType = objectType
            self.message = message
            self.before = before
            self.after = after
            self.agentHostname = agentHostname
            self.agentID = agentID
            self.sourceIP = sourceIP
            self.debug = debug
            self.clientID = clientID
            self.siteID = siteID
        }
    }

    let pool: DatabasePool
    let logger: Logger

    public init(pool: DatabasePool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    public func record(_ entry: Entry) async throws {
        try await pool.query(Self.insertSQL, Self.parameters(entry))
    }

    /// Writes the entry inside the caller's transaction, so a change and its audit line
    /// commit or roll back together.
    public static func record(_ entry: Entry, on connection: PGConnection) throws {
        try connection.query(insertSQL, parameters(entry))
    }

    /// An entry about an agent takes the agent's client and site, so the log can be scoped.
    static let insertSQL = """
        INSERT INTO audit_log (username, agent, agent_id, action, object_type, before_value, after_value, message, debug_info, ip_address, client_id, site_id)
        SELECT $1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9::jsonb, $10, coalesce($11::bigint, a.client_id), coalesce($12::bigint, a.site_id)
        FROM (SELECT 1) one LEFT JOIN agents a ON a.agent_id = $3
        """

    private static func parameters(_ entry: Entry) -> [String?] {
        [
            entry.username, entry.agentHostname, entry.agentID, entry.action.rawValue, entry.objectType,
            entry.before?.databaseText, entry.after?.databaseText, entry.message, entry.debug?.databaseText, entry.sourceIP,
            entry.clientID.map(String.init), entry.siteID.map(String.init),
        ]
    }
}
