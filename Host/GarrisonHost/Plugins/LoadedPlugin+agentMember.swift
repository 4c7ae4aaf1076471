import CGarrisonPlugin
import Foundation
import Hummingbird
import NIOCore

/// register_agent_member (ABI 1.3): a plugin's member of the operator's agent object. The
/// host asks the plugin's function as it calls a route -- same request struct, same
/// call_respond, same deadline -- with a request it makes up for the read or the write.
extension LoadedPlugin {
    /// [a-z][a-z0-9_]{0,47}: a JSON key that reads like the host's own.
    static func isValidMemberName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, (0x61...0x7A).contains(first), bytes.count <= 48 else { return false }
        return bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
    }

    func registerAgentMember(
        name member: garrison_bytes, flags: UInt32, fn: garrison_route_fn?, user: UnsafeMutableRawPointer?, freeFn: garrison_free_fn?,
        out: UnsafeMutablePointer<garrison_reg>?
    ) -> Int32 {
        out?.pointee = 0
        guard isRegistering else { return refuse(GARRISON_ERR_PHASE, "register_agent_member outside plugin_init") }
        guard let text = member.string, Self.isValidMemberName(text) else {
            return refuse(GARRISON_ERR_INVALID, "register_agent_member: bad name '\(member.lossyString)' ([a-z][a-z0-9_]{0,47})")
        }
        let placement = AgentMemberPlacement(rawValue: flags)
        guard flags & ~UInt32(7) == 0, !placement.isDisjoint(with: [.detail, .list]) else {
            return refuse(GARRISON_ERR_INVALID, "register_agent_member \(text): flags \(flags) (DETAIL and/or LIST, optionally WRITABLE)")
        }
        guard let fn else { return refuse(GARRISON_ERR_INVALID, "register_agent_member \(text): fn is NULL") }
        if AgentMembers.hostNames.contains(text) {
            return refuse(GARRISON_ERR_CONFLICT, "register_agent_member: the host renders \(text) itself")
        }
        if let holder = services.agentMembers.owner(of: text), holder != name {
            return refuse(GARRISON_ERR_CONFLICT, "register_agent_member: \(text) belongs to plugin \(holder)")
        }
        let entry = PluginRegistrations.MemberEntry(
            id: PluginRegistrations.nextID(), name: text, placement: placement,
            callback: PluginCallback(function: fn, user: PluginUserData(pointer: user)))
        let code = registering("register_agent_member") { registrations in
            if registrations.agentMembers.contains(where: { $0.name == text }) {
                return .refused(GARRISON_ERR_CONFLICT, "register_agent_member: \(text) is already registered")
            }
            registrations.agentMembers.append(entry)
            registrations.addDestructor(freeFn, user)
            return .registered
        }
        if code == GARRISON_OK { out?.pointee = entry.id }
        return code
    }

    /// Step 4: the members appear in agent objects. Throws the first name another plugin
    /// took since plugin_init (none of this plugin's is then added).
    func commitAgentMembers(_ entries: [PluginRegistrations.MemberEntry]) throws(PluginLoadError) {
        for entry in entries where !services.agentMembers.add(owner: name, PluginAgentMember(plugin: self, entry: entry)) {
            services.agentMembers.remove(owner: name)
            throw PluginLoadError(.routeConflict, subject, "its agent member \(entry.name) is taken")
        }
    }

    /// Calls the member's function with a request the host makes up, and waits for its
    /// answer as for a route: (status, body), or why there is none.
    func callMember(_ entry: PluginRegistrations.MemberEntry, method: HTTPRequest.Method, body: JSON, for call: Call) async -> Result<
        (status: Int, body: [UInt8]), MemberCallFailure
    > {
        guard enter(.dispatch) else { return .failure(.init("the plugin \(name) is not serving")) }
        defer { exit() }
        let request = Call(
            method: method, path: "/agents/", route: "/agents/", query: [:], headers: [:],
            body: ByteBuffer(string: body.databaseText), params: [:], principal: call.principal, sourceIP: call.sourceIP,
            requestID: call.requestID)
        let pluginCall = PluginCall(host: self, request: request, keepsRaw: true)
        let status = pluginCall.invoke(entry.callback)
        if status == GARRISON_PENDING {
            _ = await awaitAnswer(pluginCall)
        } else if pluginCall.answer.collect() == nil {
            return .failure(.init("\(entry.name) returned \(PluginABI.statusName(status)) without answering"))
        }
        guard let raw = pluginCall.withExtras({ $0.raw }) else {
            return .failure(.init("\(entry.name) did not answer in time, or its plugin was disabled"))
        }
        return .success(raw)
    }
}

struct MemberCallFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One plugin member as the agent routes see it.
struct PluginAgentMember: AgentMember {
    let plugin: LoadedPlugin
    let entry: PluginRegistrations.MemberEntry

    var name: String { entry.name }
    var placement: AgentMemberPlacement { entry.placement }

    func read(agentIDs: [String], for call: Call) async -> [String: JSON]? {
        let body: JSON = ["agent_ids": .array(agentIDs.map(JSON.string))]
        switch await plugin.callMember(entry, method: .get, body: body, for: call) {
        case .success(let answer) where answer.status == 200:
            if let value = try? JSON.parse(Data(answer.body)), let object = value.objectValue { return object }
            plugin.logger.warning("agent member read answered something other than a JSON object", metadata: ["member": "\(name)"])
            return nil
        case .success(let answer):
            plugin.logger.warning("agent member read answered \(answer.status)", metadata: ["member": "\(name)"])
            return nil
        case .failure(let failure):
            plugin.logger.warning("agent member read failed: \(failure)", metadata: ["member": "\(name)"])
            return nil
        }
    }

    func write(agentID: String, value: JSON, store: Bool, for call: Call) async -> AgentMemberWrite {
        let body: JSON = ["agent_id": .string(agentID), "value": value, "store": .bool(store)]
        switch await plugin.callMember(entry, method: .put, body: body, for: call) {
        case .success(let answer) where (200...299).contains(answer.status): return .accepted
        case .success(let answer) where (400...499).contains(answer.status): return .refused(status: answer.status, body: answer.body)
        case .success(let answer): return .failed("it answered \(answer.status)")
        case .failure(let failure): return .failed(failure.description)
        }
    }
}
