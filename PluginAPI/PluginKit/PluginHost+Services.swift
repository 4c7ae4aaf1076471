import CGarrisonPlugin
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The host-owned objects `coreObject` can read (core_get's kinds in the header).
public enum CoreKind: String, Sendable {
    case agent, client, site, policy
    /// id = agent_id: the list fields, "custom_fields" and "policies", without inventory.
    case agentBrief = "agent_brief"
    /// id = agent_id: [{"id","enforced","source"}] in precedence order.
    case agentPolicies = "agent_policies"
    /// id = "client:<pk>", "site:<pk>" or "all": [agent_id].
    case agents
}

extension PluginHost {
    /// One host-owned object (see `CoreKind`) as JSON.
    public func coreObject(kind: CoreKind, id: String) async throws -> JSON {
        try await coreObject(kindNamed: kind.rawValue, id: id)
    }

    /// Publishes an event under the plugin's own name ("hello-swift.greeted").
    /// `json` must encode to a JSON object. Delivery is asynchronous.
    public func publish(event name: String, json: some Encodable) throws {
        let body = try encodeArgument(json, "event_publish \(name)")
        let publish = api.required(\.event_publish)
        try check("event_publish \(name)") {
            withBytes(name, body) { name, body in publish(handle, name, body) }
        }
    }

    /// Sends a command to an agent and waits for its reply. `timeout` nil
    /// means the host's default.
    public func agentRequest(
        agentID: String, payload: some Encodable, timeout: Duration? = nil
    ) async throws -> JSON {
        let body = try encodeArgument(payload, "agent_request \(agentID)")
        let ms = timeout.map { UInt32(clamping: max($0.wholeMilliseconds, 1)) } ?? 0
        let agentRequest = api.required(\.agent_request)
        let data = try await awaitDone("agent_request \(agentID)") { done, user, cancelOut in
            withBytes(agentID, body) { agent, body in
                agentRequest(handle, agent, body, ms, done, user, cancelOut)
            }
        }
        return try JSON(parsing: data)
    }

    /// Sends a message to an agent without waiting for a reply.
    public func agentSend(agentID: String, payload: some Encodable) throws {
        let body = try encodeArgument(payload, "agent_send \(agentID)")
        let agentSend = api.required(\.agent_send)
        try check("agent_send \(agentID)") {
            withBytes(agentID, body) { agent, body in agentSend(handle, agent, body) }
        }
    }

    /// Creates or replaces one of the plugin's schedules (see
    /// schedule_upsert in the header for the object's members); returns the
    /// host's {"id","next_run"} answer.
    public func upsertSchedule(_ schedule: some Encodable) async throws -> JSON {
        let body = try encodeArgument(schedule, "schedule_upsert")
        let upsert = api.required(\.schedule_upsert)
        let data = try await awaitDone("schedule_upsert") { done, user, cancelOut in
            body.withGarrisonBytes { upsert(handle, $0, done, user, cancelOut) }
        }
        return try JSON(parsing: data)
    }

    /// Deletes one of the plugin's schedules.
    public func cancelSchedule(id: String) async throws {
        let cancel = api.required(\.schedule_cancel)
        _ = try await awaitDone("schedule_cancel \(id)") { done, user, cancelOut in
            id.withGarrisonBytes { cancel(handle, $0, done, user, cancelOut) }
        }
    }

    /// Adds an audit log entry (`ip`: the client address it is about, e.g. `req.sourceIP`).
    /// Needs a 1.1 host: on a 1.0 host this logs at
    /// debug level and does nothing, so plugins can call it unconditionally.
    public func audit(
        action: String, username: String? = nil, agentID: String? = nil,
        object: String? = nil, detail: JSON? = nil, ip: String? = nil
    ) throws {
        guard let audit = api.optional(\.audit) else {
            log(.debug, "audit \(action) skipped: the host has no audit (ABI 1.\(abiMinor))")
            return
        }
        var entry: [String: JSON] = ["action": .string(action)]
        entry["username"] = username.map(JSON.string)
        entry["agent_id"] = agentID.map(JSON.string)
        entry["object"] = object.map(JSON.string)
        entry["detail"] = detail
        entry["ip"] = ip.map(JSON.string)
        let body = try encodeArgument(JSON.object(entry), "audit \(action)")
        try check("audit \(action)") { body.withGarrisonBytes { audit(handle, $0) } }
    }

    func encodeArgument(_ value: some Encodable, _ what: String) throws -> Data {
        do {
            return try JSONCoding.encode(value)
        } catch {
            throw PluginError(.invalid, "\(what): cannot encode JSON: \(error)")
        }
    }
}
