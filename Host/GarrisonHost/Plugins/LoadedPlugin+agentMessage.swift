import CGarrisonPlugin
import Foundation

/// register_agent_handler, agent_request, agent_send: plugins reach agents through the host's
/// AgentCommander (request or fire-and-forget chosen per function, history, offline queue)
/// and receive agent publishes carrying their reply tag.
extension LoadedPlugin {
    func registerAgentHandler(
        tag: garrison_bytes, fn: garrison_agent_msg_fn?, user: UnsafeMutableRawPointer?, freeFn: garrison_free_fn?,
        out: UnsafeMutablePointer<garrison_reg>?
    ) -> Int32 {
        out?.pointee = 0
        guard isRegistering else { return refuse(GARRISON_ERR_PHASE, "register_agent_handler outside plugin_init") }
        guard let text = tag.string, !text.isEmpty else { return refuse(GARRISON_ERR_INVALID, "register_agent_handler: empty reply tag") }
        guard let fn else { return refuse(GARRISON_ERR_INVALID, "register_agent_handler \(text): fn is NULL") }
        guard TelemetryIngest.kinds[text] == nil else {
            return refuse(GARRISON_ERR_CONFLICT, "register_agent_handler: \(text) is core telemetry")
        }
        if let holder = services.claims.owner(of: text, .agentTag), holder != name {
            return refuse(GARRISON_ERR_CONFLICT, "register_agent_handler: tag \(text) belongs to plugin \(holder)")
        }
        let entry = PluginRegistrations.Named(
            id: PluginRegistrations.nextID(), name: text, callback: PluginCallback(function: fn, user: PluginUserData(pointer: user)))
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

    /// Routes the plugin's tags once it serves (step 4); `stop` removes them with the rest.
    func commitAgentHandlers(_ handlers: [PluginRegistrations.Named<garrison_agent_msg_fn>]) {
        guard let router = services.commander?.router else { return }
        for handler in handlers {
            let callback = handler.callback
            router.add(tag: handler.name, owner: name) { [self] agentID, tag, json in
                guard enter(.dispatch) else { return }
                defer { exit() }
                var (agentID, tag, json) = (agentID, tag, json)
                agentID.withUTF8 { id in
                    tag.withUTF8 { tagBytes in
                        json.withUTF8 { body in
                            callback.function(
                                callback.user.pointer, garrison_bytes(ptr: id.baseAddress, len: id.count),
                                garrison_bytes(ptr: tagBytes.baseAddress, len: tagBytes.count),
                                garrison_bytes(ptr: body.baseAddress, len: body.count))
                        }
                    }
                }
            }
        }
    }

    func agentRequest(
        agentID: garrison_bytes, payload: garrison_bytes, timeoutMS: UInt32, done: garrison_done_fn?, user: UnsafeMutableRawPointer?,
        cancelOut: UnsafeMutablePointer<UInt64>?
    ) -> Int32 {
        cancelOut?.pointee = 0
        guard let done, let message = PluginAgentMessage(agentID, payload, plugin: name) else { return GARRISON_ERR_INVALID }
        guard let operation = startOperation(done: done, user: user) else { return GARRISON_ERR_PHASE }
        cancelOut?.pointee = operation.token
        guard let commander = services.commander, commander.bus.isAttached else {
            Task { operation.complete(GARRISON_ERR_UNAVAILABLE, "this host has no agent bus (nats.enabled = false or a dry run)") }
            return GARRISON_OK
        }
        Task {
            do {
                // With a history row the insert's foreign key already says whether the agent
                // exists: one round trip less per request on bulk runs.
                if message.history == nil, !(try await commander.agentExists(message.agentID)) {
                    operation.complete(GARRISON_ERR_NOT_FOUND, "no agent \(message.agentID)")
                    return
                }
                let timeout: Duration? = timeoutMS == 0 ? nil : .milliseconds(Int(timeoutMS))
                let result = try await commander.run(message.request(timeout: timeout))
                let (status, json) = message.answer(result)
                operation.complete(status, json)
            } catch let error as DatabaseError where error.isForeignKeyViolation {
                operation.complete(GARRISON_ERR_NOT_FOUND, "no agent \(message.agentID)")
            } catch {
                operation.complete(GARRISON_ERR_UNAVAILABLE, "\(error)")
            }
        }
        return GARRISON_OK
    }

    /// Without `_options` the message is published before this returns, so a plugin's sends
    /// to one agent arrive in order. With them (history, queueing) the database is involved
    /// and the send completes in the background.
    func agentSend(agentID: garrison_bytes, payload: garrison_bytes) -> Int32 {
        // A tracked pending action is removed when the agent does not answer: it needs the
        // answer agent_send never waits for.
        guard let message = PluginAgentMessage(agentID, payload, plugin: name), message.pendingActionKey == nil else {
            return GARRISON_ERR_INVALID
        }
        guard withState({ $0.instance.acceptsServiceCalls }) else { return GARRISON_ERR_PHASE }
        guard let commander = services.commander, commander.bus.isAttached else { return GARRISON_ERR_UNAVAILABLE }
        if !message.hasOptions {
            return commander.bus.publish(agentID: message.agentID, message.command) ? GARRISON_OK : GARRISON_ERR_UNAVAILABLE
        }
        let logger = self.logger
        Task {
            do {
                var request = message.request(timeout: nil)
                request.publishOnly = true
                _ = try await commander.run(request)
            } catch {
                logger.warning("agent_send failed", metadata: ["agent_id": "\(message.agentID)", "error": "\(error)"])
            }
        }
        return GARRISON_OK
    }
}

/// A plugin's command: the JSON envelope the agent gets, plus optional host-side `_options`:
/// `history` ({type, command, script_name, origin}), `save_result` (with history: {note,
/// custom_field, all_output}, see AgentResultSinks), `queue_if_offline`, `username`, and
/// since 1.2 `not_before`, `action_type`, `details` (a scheduled pending action), since 1.3
/// `pending_action_key` (a pending action the agent reports on later; its id is sent in that key).
struct PluginAgentMessage: Sendable {
    let agentID: String
    let command: AgentCommand
    let history: AgentCommander.HistoryNote?
    let queueIfOffline: Bool
    let username: String
    let hasOptions: Bool
    /// 1.2: a pending action held until then ("schedreboot"), its name and its details.
    let notBefore: Date?
    let actionType: String
    let details: JSON
    /// 1.3: the top-level key that carries the tracked pending action's id.
    let pendingActionKey: String?

    init?(_ agentID: garrison_bytes, _ payload: garrison_bytes, plugin: String) {
        guard let id = agentID.string, !id.isEmpty, !payload.isMalformed, let value = try? JSON.parse(payload.data),
            var object = value.objectValue
        else { return nil }
        let options = object.removeValue(forKey: "_options")
        if let options, options.objectValue == nil { return nil }
        guard let command = try? AgentCommand(json: object) else { return nil }
        self.agentID = id
        self.command = command
        self.hasOptions = options != nil
        self.queueIfOffline = options?["queue_if_offline"]?.boolValue ?? false
        self.username = options?["username"]?.stringValue ?? "plugin:\(plugin)"
        if let text = options?["not_before"] {
            guard let string = text.stringValue, let date = ISO8601DateFormatter().date(from: string) else { return nil }
            notBefore = date
        } else {
            notBefore = nil
        }
        actionType = options?["action_type"]?.stringValue ?? ""
        guard actionType.utf8.count <= 32, actionType.utf8.allSatisfy({ (0x61...0x7A).contains($0) || $0 == 0x5F }) else { return nil }
        details = options?["details"] ?? [:]
        guard details.objectValue != nil else { return nil }
        if let key = options?["pending_action_key"] {
            // A key of the command itself, never one the agent reads otherwise, and never with
            // the offline queue: a tracked action is sent now or not at all.
            guard let name = key.stringValue, Self.isTrackedKey(name), !queueIfOffline, notBefore == nil,
                !["func", "payload", "id", "timeout"].contains(name)
            else { return nil }
            pendingActionKey = name
        } else {
            pendingActionKey = nil
        }
        if let note = options?["history"]?.objectValue {
            let type = note["type"]?.stringValue ?? "command"
            guard ["cmd_run", "script_run", "task_run", "command"].contains(type),
                let sink = AgentResultSinks.validated(options?["save_result"])
            else { return nil }
            history = .init(
                type: type, command: note["command"]?.stringValue ?? "", scriptName: note["script_name"]?.stringValue ?? "",
                origin: note["origin"]?.stringValue ?? plugin, saveResult: sink)
        } else {
            history = nil
        }
    }

    static func isTrackedKey(_ name: String) -> Bool {
        (1...32).contains(name.utf8.count) && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || $0 == 0x5F }
    }

    func request(timeout: Duration?) -> AgentCommander.Request {
        var request = AgentCommander.Request(
            agentID: agentID, command: command, timeout: timeout, history: history, queueIfOffline: queueIfOffline,
            actionType: actionType, details: details, username: username, notBefore: notBefore)
        request.trackedActionKey = pendingActionKey
        return request
    }

    /// Without options: the agent's reply as JSON, or an error code. With options: always an
    /// envelope, so the plugin learns the history row or pending action either way.
    func answer(_ result: AgentCommander.Result) -> (Int32, String) {
        if !hasOptions {
            switch result.outcome {
            case .reply(let value): return (GARRISON_OK, value.json.databaseText)
            case .sent, .queued: return (GARRISON_OK, "null")
            case .timeout: return (GARRISON_ERR_TIMEOUT, "the agent did not answer in time")
            case .natsDown: return (GARRISON_ERR_UNAVAILABLE, "the agent bus (NATS) is down")
            }
        }
        var envelope: [String: JSON] = ["history_id": .init(result.historyID)]
        if let tracked = result.pendingActionID { envelope["pending_action_id"] = .init(tracked) }
        switch result.outcome {
        case .reply(let value): envelope["status"] = "ok"; envelope["reply"] = value.json
        case .sent: envelope["status"] = "sent"
        case .queued(let id): envelope["status"] = "queued"; envelope["pending_action_id"] = .init(id)
        case .timeout: envelope["status"] = "timeout"
        case .natsDown: envelope["status"] = "natsdown"
        }
        return (GARRISON_OK, JSON.object(envelope).databaseText)
    }
}
