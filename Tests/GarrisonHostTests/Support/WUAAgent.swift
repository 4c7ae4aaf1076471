import Foundation
import HTTPTypes
import NIOConcurrencyHelpers
@testable import GarrisonHost

/// An agent playing Windows Update as agent 2.9.1 does (docs/agent-protocol.md, Windows
/// updates): the NATS side is CommandAgent (a real nats-py client on the agent's own user,
/// logging every command), the REST side is this helper calling the host with the agent's
/// token. On getwinupdates it posts its scan (Tests/Fixtures/Patching/wua_scan.json unless
/// given other updates); on installwinupdates it posts one PATCH per GUID (success unless
/// the GUID is in `failing`; a superseded POST for a GUID it does not have), then the PUT
/// with `needsReboot`.
final class WUAAgent: Sendable {
    let host: TestHost
    let agentID: String
    let token: String
    let nats: CommandAgent
    let updates: NIOLockedValueBox<[JSON]>
    let failing: NIOLockedValueBox<Set<String>>
    let needsReboot: NIOLockedValueBox<Bool>
    /// Commands already answered (index into the command log).
    private let handled = NIOLockedValueBox(0)
    private let installs = NIOLockedValueBox(0)
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    static func fixture() throws -> [JSON] {
        let url = PackagePaths.root.appendingPathComponent("Tests/Fixtures/Patching/wua_scan.json")
        return try JSON.parse(try Data(contentsOf: url)).arrayValue ?? []
    }

    init(host: TestHost, agentID: String, token: String, nats: CommandAgent, updates: [JSON]) {
        self.host = host
        self.agentID = agentID
        self.token = token
        self.nats = nats
        self.updates = NIOLockedValueBox(updates)
        failing = NIOLockedValueBox([])
        needsReboot = NIOLockedValueBox(false)
    }

    static func start(host: TestHost, natsURL: String, agentID: String, token: String, updates: [JSON]? = nil) async throws -> WUAAgent {
        let nats = try await CommandAgent.start(url: natsURL, agentID: agentID, token: token)
        let agent = WUAAgent(host: host, agentID: agentID, token: token, nats: nats, updates: try updates ?? fixture())
        agent.task.withLockedValue {
            $0 = Task {
                while !Task.isCancelled {
                    await agent.serveNew()
                    try? await Task.sleep(for: .milliseconds(25))
                }
            }
        }
        return agent
    }

    func stop() {
        task.withLockedValue { $0?.cancel() }
        nats.stop()
    }

    /// Every command the agent received, by func.
    func received(_ function: String) -> [JSON] {
        nats.received.map(\.command).filter { $0["func"]?.stringValue == function }
    }

    /// Install runs finished (the PUT sent).
    var installRuns: Int { installs.withLockedValue { $0 } }

    private func serveNew() async {
        let all = nats.received.map(\.command)
        let start = handled.withLockedValue { $0 }
        guard all.count > start else { return }
        handled.withLockedValue { $0 = all.count }
        for command in all[start...] {
            switch command["func"]?.stringValue {
            case "getwinupdates":
                _ = try? await call(.post, "/api/v3/winupdates/", ["agent_id": .string(agentID), "wua_updates": .array(updates.withLockedValue { $0 })])
            case "installwinupdates":
                let known = Set(updates.withLockedValue { $0 }.compactMap { $0["guid"]?.stringValue })
                let bad = failing.withLockedValue { $0 }
                for guid in command["guids"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                    if !known.contains(guid) {
                        _ = try? await call(.post, "/api/v3/superseded/", ["agent_id": .string(agentID), "guid": .string(guid)])
                        continue
                    }
                    let ok = !bad.contains(guid)
                    _ = try? await call(.patch, "/api/v3/winupdates/", ["agent_id": .string(agentID), "guid": .string(guid), "success": .bool(ok)])
                    if ok {
                        updates.withLockedValue { list in
                            list = list.map { item in
                                guard item["guid"]?.stringValue == guid, case .object(var m) = item else { return item }
                                m["installed"] = true
                                m["downloaded"] = true
                                return .object(m)
                            }
                        }
                    }
                }
                _ = try? await call(
                    .put, "/api/v3/winupdates/", ["agent_id": .string(agentID), "needs_reboot": .bool(needsReboot.withLockedValue { $0 })])
                installs.withLockedValue { $0 += 1 }
            default:
                break
            }
        }
    }

    func call(_ method: HTTPRequest.Method, _ path: String, _ body: JSON) async throws -> TestHost.Reply {
        try await host.request(method, path, as: .token(token), json: body)
    }
}
