import Foundation
import JSONText

/// The user and permission sync (Plugins/MeshCentral/README.md, "What is synced"): from
/// Garrison's operators and agents, and MeshCentral's `users` and `nodes` answers, the
/// control-socket commands that make MeshCentral match. Pure: the same inputs always give the
/// same commands (passwords and e-mail addresses aside), so a failed run simply starts over.
public enum SyncPlan {
    /// Rights on each node for a synced operator: remote control, console, wake, notes, limit
    /// events, chat/notify, remote commands, reset/power, guest sharing, device details, relay.
    public static let nodeRights = 4_088_024

    public struct Operator: Sendable {
        public let id: Int
        public let username: String
        public let firstName: String
        public let lastName: String
        public let isSuperuser: Bool
        public let permissions: Set<String>
        public let clients: Set<Int>
        public let sites: Set<Int>

        public init(
            id: Int, username: String, firstName: String = "", lastName: String = "", isSuperuser: Bool, permissions: Set<String>,
            clients: Set<Int> = [], sites: Set<Int> = []
        ) {
            self.id = id
            self.username = username
            self.firstName = firstName
            self.lastName = lastName
            self.isSuperuser = isSuperuser
            self.permissions = permissions
            self.clients = clients
            self.sites = sites
        }

        public var usesMesh: Bool { isSuperuser || permissions.contains("can_use_mesh") }
        public var meshName: String { MeshSite.meshUsername(username, id) }
        public var meshID: String { "user//\(meshName)" }

        public func sees(client: Int, site: Int) -> Bool {
            if isSuperuser || (clients.isEmpty && sites.isEmpty) { return true }
            return clients.contains(client) || sites.contains(site)
        }

        public func displayName(company: String?) -> String {
            let names = [firstName, lastName].filter { !$0.isEmpty }.joined(separator: " ")
            guard let company, !company.isEmpty else { return names }
            return names.isEmpty ? company : "\(names) - \(company)"
        }
    }

    public struct Agent: Sendable {
        public let nodeHex: String
        public let client: Int
        public let site: Int
        public init(nodeHex: String, client: Int, site: Int) {
            self.nodeHex = nodeHex
            self.client = client
            self.site = site
        }
    }

    /// A user id Garrison manages: "user//<name>___<digits>".
    public static func isManaged(_ userID: String) -> Bool {
        guard let range = userID.range(of: "___", options: .backwards) else { return false }
        let digits = userID[range.upperBound...]
        return !digits.isEmpty && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
    }

    /// Sync turned off: every managed user is deleted.
    public static func removeAll(users: JSON) -> [JSON] {
        (users["users"]?.arrayValue ?? []).compactMap { $0["_id"]?.stringValue }.filter(isManaged).sorted().map(deleteUser)
    }

    public static func plan(operators: [Operator], agents: [Agent], users: JSON, nodes: JSON, company: String?) -> [JSON] {
        let meshUsers = operators.filter(\.usesMesh)
        let byID = Dictionary(meshUsers.map { ($0.meshID, $0) }, uniquingKeysWith: { a, _ in a })

        // Desired: per MeshCentral node id, the managed users that should have it.
        var desired: [String: Set<String>] = [:]
        for agent in agents {
            guard let node = MeshIDs.meshNodeID(fromHex: agent.nodeHex) else { continue }
            desired["node//\(node)", default: []].formUnion(
                meshUsers.filter { $0.sees(client: agent.client, site: agent.site) }.map(\.meshID))
        }
        // Current: managed links on the nodes that belong to Garrison's agents.
        var current: [String: Set<String>] = [:]
        var onNodes = Set<String>()
        for (_, list) in nodes["nodes"]?.objectValue ?? [:] {
            for node in list.arrayValue ?? [] {
                guard let id = node["_id"]?.stringValue else { continue }
                let links = Set((node["links"]?.objectValue ?? [:]).keys.filter(isManaged))
                onNodes.formUnion(links)
                if desired[id] != nil { current[id, default: []].formUnion(links) }
            }
        }
        var existing: [String: String] = [:]
        for user in users["users"]?.arrayValue ?? [] {
            if let id = user["_id"]?.stringValue { existing[id] = user["realname"]?.stringValue ?? "" }
        }

        var commands: [JSON] = []
        let wanted = Set(byID.keys)
        for id in wanted.sorted() {
            let user = byID[id]!
            let name = user.displayName(company: company)
            if existing[id] == nil {
                commands.append(addUser(user))
                commands.append(editUser(id, realname: name))
            } else if existing[id] != name {
                commands.append(editUser(id, realname: name))
            }
        }
        let managed = Set(existing.keys.filter(isManaged)).union(onNodes)
        for id in managed.subtracting(wanted).sorted() { commands.append(deleteUser(id)) }

        for node in desired.keys.sorted() {
            let want = desired[node]!
            let have = current[node] ?? []
            let add = want.subtracting(have).sorted()
            let remove = have.subtracting(want).sorted()
            if !add.isEmpty {
                commands.append([
                    "action": "adddeviceuser", "nodeid": .string(node), "usernames": .array(add.map { .string(String($0.dropFirst(6))) }),
                    "rights": .number(Double(nodeRights)), "remove": false, "responseid": "meshctrl",
                ])
            }
            if !remove.isEmpty {
                commands.append([
                    "action": "adddeviceuser", "nodeid": .string(node), "userids": .array(remove.map(JSON.string)), "rights": 0,
                    "remove": true, "responseid": "meshctrl",
                ])
            }
        }
        return commands
    }

    static func addUser(_ user: Operator) -> JSON {
        let alnum = user.username.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }
        let email = "\(alnum).\(randomText(6, lowercase))@tacticalrmm-do-not-change-\(randomText(5, lowercase)).local"
        return [
            "action": "adduser", "username": .string(user.meshName), "email": .string(email), "pass": .string(password()),
            "resetNextLogin": false, "randomPassword": false, "removeEvents": false, "emailVerified": true, "responseid": "meshctrl",
        ]
    }

    static func editUser(_ id: String, realname: String) -> JSON {
        ["action": "edituser", "id": .string(id), "realname": .string(realname), "responseid": "meshctrl"]
    }

    static func deleteUser(_ id: String) -> JSON {
        ["action": "deleteuser", "userid": .string(id), "responseid": "meshctrl"]
    }

    static let lowercase = Array("abcdefghijklmnopqrstuvwxyz")
    static let alphanumeric = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    static func randomText(_ n: Int, _ alphabet: [Character]) -> String {
        String(Random.bytes(n).map { alphabet[Int($0) % alphabet.count] })
    }

    /// 30 characters: 29 letters and digits and one of !@#$, shuffled (never sent back; the
    /// operators sign in to MeshCentral only through login tokens).
    static func password() -> String {
        var chars = Array(randomText(29, alphanumeric)) + [Array("!@#$")[Int(Random.bytes(1)[0]) % 4]]
        chars.shuffle()
        return String(chars)
    }
}
