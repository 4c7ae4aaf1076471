import Foundation

/// Delivery of pending actions: when an agent comes back (agent.online) and from a periodic
/// sweep (actions that were scheduled for later, or an online event this host missed).
extension AgentCommander {
    /// Sends the agent's due actions one after the other, in the order they were made.
    public func deliverPending(agentID: String) async {
        do {
            for action in try await PendingActionStore.claim(pool, agentID: agentID) {
                guard let object = action.command.objectValue, let command = try? AgentCommand(json: object) else {
                    logger.error("pending action holds no valid command; dropped", metadata: ["id": "\(action.id)"])
                    continue
                }
                let outcome = await send(command, to: agentID, timeout: nil)
                if outcome == .natsDown {
                    try await PendingActionStore.release(pool, id: action.id)
                    logger.notice(
                        "NATS down while delivering pending actions; they wait for the next sweep", metadata: ["agent_id": "\(agentID)"])
                    return
                }
                if case .reply(let value) = outcome {
                    try await PendingActionStore.setResult(pool, id: action.id, results: value.stringValue ?? value.json.databaseText)
                }
                if let historyID = action.historyID { try await history.record(pool, id: historyID, outcome: outcome, sink: true) }
                events.publish(
                    "agent.pending.delivered", ["agent_id": .string(agentID), "id": .init(action.id), "func": .string(command.function)])
            }
        } catch {
            logger.warning("pending action delivery failed; the sweep retries", metadata: ["agent_id": "\(agentID)", "error": "\(error)"])
        }
    }

    /// One sweep: expire what waited too long, deliver what is due to agents online now.
    public func sweepPending() async throws -> (expired: Int, agents: Int) {
        let expired = try await PendingActionStore.expire(pool)
        let agents = try await PendingActionStore.agentsWithDueActions(pool)
        await withTaskGroup(of: Void.self) { group in
            for agentID in agents { group.addTask { await self.deliverPending(agentID: agentID) } }
        }
        return (expired, agents.count)
    }

    /// Deliver as soon as an agent is seen again.
    func followOnlineEvents() {
        _ = events.subscribe(owner: "core", pattern: "agent.online") { [self] event in
            guard let agentID = (try? JSON.parse(Data(event.json.utf8)))?["agent_id"]?.stringValue else { return }
            Task { await self.deliverPending(agentID: agentID) }
        }
    }
}
