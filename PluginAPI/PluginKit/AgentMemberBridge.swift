import CGarrisonPlugin
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where an agent member appears (GARRISON_MEMBER_* in garrison_plugin.h).
public struct AgentMemberPlacement: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// GET /agents/<agent_id>/ and the answer of its PUT.
    public static let detail = AgentMemberPlacement(rawValue: GARRISON_MEMBER_DETAIL)
    /// Every agent of GET /agents/.
    public static let list = AgentMemberPlacement(rawValue: GARRISON_MEMBER_LIST)
}

/// A member's values for a set of agents (agent_id -> value); agents left out get null.
public typealias AgentMemberRead = @Sendable (_ agentIDs: [String], _ request: PluginRequest) async throws -> [String: JSON]

/// Checks (`store == false`) or checks and stores (`store == true`) the value a PUT
/// /agents/<agent_id>/ sent for the member. Throw `PluginHTTPError(400, "<field> ...")` to
/// refuse it: the whole PUT then fails and nothing is stored.
public typealias AgentMemberWrite = @Sendable (
    _ agentID: String, _ value: JSON, _ store: Bool, _ request: PluginRequest
) async throws -> Void

extension Registrar {
    /// Contributes `name` to the operator's agent object (register_agent_member, ABI 1.3):
    /// `read` is asked once per object built, for all of its agents (a whole page of the
    /// agent list in one call); `write`, if given, makes the member writable on PUT
    /// /agents/<agent_id>/. Throws `.unsupported` on a host older than 1.3.
    public func agentMember(
        _ name: String, placement: AgentMemberPlacement, read: @escaping AgentMemberRead, write: AgentMemberWrite? = nil
    ) throws {
        let label = "agent member \(name)"
        try ensureOpen(label)
        guard let registerMember = host.api.optional(\.register_agent_member) else {
            throw PluginError(.unsupported, "\(label): needs register_agent_member (ABI 1.3)")
        }
        let box = RouteBox(host: host, label: label) { req in
            let body: JSON
            do { body = try JSON(parsing: req.body) } catch { throw PluginHTTPError(400, "\(name): the host sent no JSON") }
            if req.method == .get {
                let ids = body["agent_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
                return try .json(JSON.object(try await read(ids, req)))
            }
            guard let write, let agentID = body["agent_id"]?.stringValue else {
                throw PluginHTTPError(400, "\(name) cannot be changed here.")
            }
            try await write(agentID, body["value"] ?? .null, body["store"]?.boolValue ?? false, req)
            return try .json(JSON.string("ok"))
        }
        var flags = placement.rawValue
        if write != nil { flags |= GARRISON_MEMBER_WRITABLE }
        let handle = host.handle
        try register("register_agent_member \(name)", box) { user in
            name.withGarrisonBytes { n in registerMember(handle, n, flags, pluginKitRoute, user, pluginKitFree, nil) }
        }
    }
}
