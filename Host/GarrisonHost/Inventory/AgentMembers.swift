import Foundation
import Logging
import NIOConcurrencyHelpers

/// A member of the operator's agent object that something other than the host's own SQL
/// provides: a plugin's `winupdatepolicy`, a patch status in the agent list
/// (register_agent_member in garrison_plugin.h, ABI 1.3).
public protocol AgentMember: Sendable {
    var name: String { get }
    var placement: AgentMemberPlacement { get }
    /// The member's value for each agent; a missing agent gets null. Nil when it failed
    /// (logged by the member): the host then shows null for every agent of the call.
    func read(agentIDs: [String], for call: Call) async -> [String: JSON]?
    /// Checks (`store: false`) or stores the member's value from an agent's PUT.
    func write(agentID: String, value: JSON, store: Bool, for call: Call) async -> AgentMemberWrite
}

public struct AgentMemberPlacement: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let detail = AgentMemberPlacement(rawValue: 1)
    public static let list = AgentMemberPlacement(rawValue: 2)
    public static let writable = AgentMemberPlacement(rawValue: 4)
}

/// What a member said about a written value.
public enum AgentMemberWrite: Sendable {
    case accepted
    /// A 4xx and its body: the PUT answers with it and stores nothing.
    case refused(status: Int, body: [UInt8])
    /// No usable answer (an error, a timeout, a disabled plugin): why, for the log.
    case failed(String)
}

/// Every member, by name. Members come and go with their plugins; the agent routes ask
/// here each time they build an agent object.
public final class AgentMembers: Sendable {
    private let members = NIOLockedValueBox<[(owner: String, member: any AgentMember)]>([])

    public init() {}

    /// What the host renders itself: a member may not shadow it.
    public static let hostNames: Set<String> = [
        "id", "agent_id", "hostname", "description", "monitoring_type", "plat", "goarch", "operating_system", "version", "public_ip",
        "logged_username", "last_logged_in_user", "logged_in_username", "needs_reboot", "last_seen", "boot_time", "maintenance_mode",
        "block_policy_inheritance", "overdue_email_alert", "overdue_text_alert", "overdue_dashboard_alert", "offline_time",
        "overdue_time", "check_interval", "site", "client", "site_name", "client_name", "status", "total_ram", "time_zone",
        "mesh_node_id", "disks", "services", "wmi_detail", "custom_fields", "created_time", "modified_time", "policy", "agent", "choco_installed",
    ]

    /// Adds `member` for `owner`; false when the name is the host's or another owner's.
    public func add(owner: String, _ member: any AgentMember) -> Bool {
        guard !Self.hostNames.contains(member.name) else { return false }
        return members.withLockedValue { list in
            if list.contains(where: { $0.member.name == member.name }) { return false }
            list.append((owner, member))
            return true
        }
    }

    public func remove(owner: String) {
        members.withLockedValue { $0.removeAll { $0.owner == owner } }
    }

    /// Whether another owner holds `name` (checked at registration, before the plugin serves).
    public func owner(of name: String) -> String? {
        members.withLockedValue { list in list.first { $0.member.name == name }?.owner }
    }

    func current(_ placement: AgentMemberPlacement) -> [any AgentMember] {
        members.withLockedValue { list in list.map(\.member).filter { $0.placement.contains(placement) } }
    }

    /// Adds each member placed at `placement` to the agent objects (keyed by `agent_id`), one
    /// read per member for all of them, the members concurrently.
    public func complete(_ objects: [JSON], _ placement: AgentMemberPlacement, for call: Call) async -> [JSON] {
        let active = current(placement)
        guard !active.isEmpty, !objects.isEmpty else { return objects }
        let ids = objects.compactMap { $0["agent_id"]?.stringValue }
        let values = await withTaskGroup(of: (String, [String: JSON]).self) { group in
            for member in active {
                group.addTask { (member.name, await member.read(agentIDs: ids, for: call) ?? [:]) }
            }
            var all: [String: [String: JSON]] = [:]
            for await (name, byAgent) in group { all[name] = byAgent }
            return all
        }
        return objects.map { object in
            guard case .object(var fields) = object, let id = fields["agent_id"]?.stringValue else { return object }
            for member in active where fields[member.name] == nil { fields[member.name] = values[member.name]?[id] ?? .null }
            return .object(fields)
        }
    }

    public func complete(_ object: JSON, _ placement: AgentMemberPlacement, for call: Call) async -> JSON {
        await complete([object], placement, for: call).first ?? object
    }

    /// The writable members a PUT body names, with their values.
    func written(in body: [String: JSON]) -> [(any AgentMember, JSON)] {
        current(.writable).compactMap { member in body[member.name].map { (member, $0) } }
    }

    /// Asks each member whether its value is acceptable; the first refusal ends the PUT with
    /// the member's answer, before anything is stored.
    func check(_ writes: [(any AgentMember, JSON)], agentID: String, for call: Call) async throws {
        for (member, value) in writes {
            switch await member.write(agentID: agentID, value: value, store: false, for: call) {
            case .accepted: continue
            case .refused(let status, let body): throw AgentMemberRefusal(status: status, body: body)
            case .failed(let why):
                throw APIError(.badGateway, "The agent member \(member.name) could not check its value: \(why)")
            }
        }
    }

    /// Stores each member's value once the host stored its own fields. A failure here is
    /// the member's (its check passed): logged and answered 502, naming it.
    func store(_ writes: [(any AgentMember, JSON)], agentID: String, for call: Call, logger: Logger) async throws {
        var failed: [String] = []
        for (member, value) in writes {
            switch await member.write(agentID: agentID, value: value, store: true, for: call) {
            case .accepted: continue
            case .refused(let status, _): failed.append("\(member.name) (\(status))")
            case .failed(let why): failed.append("\(member.name) (\(why))")
            }
        }
        guard !failed.isEmpty else { return }
        logger.error("agent members not stored after their check passed", metadata: ["agent_id": "\(agentID)", "members": "\(failed)"])
        throw APIError(
            .badGateway, "The agent was updated, but \(failed.joined(separator: ", ")) could not be stored; send the PUT again.")
    }
}

/// A member's 4xx on a PUT: answered to the client as the member gave it.
struct AgentMemberRefusal: Error {
    let status: Int
    let body: [UInt8]
}
