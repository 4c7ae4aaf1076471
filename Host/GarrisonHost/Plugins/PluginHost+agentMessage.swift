import CGarrisonPlugin
import Foundation

/// register_agent_handler, agent_request, agent_send. Agents are reached over NATS, which a
/// later issue brings: handlers are recorded (listed, claimed host-wide, rolled back, free_fn
/// called) and the sending calls check their arguments, then answer UNSUPPORTED.
extension PluginHost {
    func registerAgentHandler(tag: garrison_bytes, fn: garrison_agent_msg_fn?, user: UnsafeMutableRawPointer?, freeFn: garrison_free_fn?, out: UnsafeMutablePointer<garrison_reg>?) -> Int32 {
        out?.pointee = 0
        guard isRegistering else { return refuse(GARRISON_ERR_PHASE, "register_agent_handler outside plugin_init") }
        guard let text = tag.string, !text.isEmpty else { return refuse(GARRISON_ERR_INVALID, "register_agent_handler: empty reply tag") }
        guard let fn else { return refuse(GARRISON_ERR_INVALID, "register_agent_handler \(text): fn is NULL") }
        if let holder = services.claims.owner(of: text, .agentTag), holder != name {
            return refuse(GARRISON_ERR_CONFLICT, "register_agent_handler: tag \(text) belongs to plugin \(holder)")
        }
        let entry = PluginRegistrations.Named(id: PluginRegistrations.nextID(), name: text, callback: PluginCallback(function: fn, user: PluginUserData(pointer: user)))
        let code = registering("register_agent_handler") { registrations in
            if registrations.agentHandlers.contains(where: { $0.name == text }) {
                return .refused(GARRISON_ERR_CONFLICT, "register_agent_handler: tag \(text) is already registered")
            }
            registrations.agentHandlers.append(entry)
            registrations.addDestructor(freeFn, user)
            return .registered
        }
        if code == GARRISON_OK { out?.pointee = entry.id }
        return code
    }

    func agentRequest(agentID: garrison_bytes, payload: garrison_bytes, done: garrison_done_fn?, cancelOut: UnsafeMutablePointer<UInt64>?) -> Int32 {
        cancelOut?.pointee = 0
        guard done != nil, Self.isAgentMessage(agentID, payload) else { return GARRISON_ERR_INVALID }
        guard withState({ $0.instance.acceptsServiceCalls }) else { return GARRISON_ERR_PHASE }
        return GARRISON_ERR_UNSUPPORTED
    }

    func agentSend(agentID: garrison_bytes, payload: garrison_bytes) -> Int32 {
        guard Self.isAgentMessage(agentID, payload) else { return GARRISON_ERR_INVALID }
        guard withState({ $0.instance.acceptsServiceCalls }) else { return GARRISON_ERR_PHASE }
        return GARRISON_ERR_UNSUPPORTED
    }

    private static func isAgentMessage(_ agentID: garrison_bytes, _ payload: garrison_bytes) -> Bool {
        guard let id = agentID.string, !id.isEmpty, !payload.isMalformed, let value = try? JSONValue.parse(payload.data) else { return false }
        return value.objectValue != nil
    }
}
