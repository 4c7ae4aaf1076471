/// A client row as the routes and core_get read it: named fields instead of string keys, one
/// place that knows the columns.
struct ClientRow: Sendable {
    let id: Int
    let name: String
    let blockPolicyInheritance: Bool
    let customFields: JSON
    let createdBy: String
    let createdTime: String?
    let modifiedBy: String
    let modifiedTime: String?
    let agentCount: Int
    let serverPolicy: Int?
    let workstationPolicy: Int?

    init(_ row: PGRow) {
        id = row.int("id")
        name = row.string("name")
        blockPolicyInheritance = row.bool("block_policy_inheritance")
        customFields = .fromDatabase(row["custom_fields"], fallback: [:])
        createdBy = row.string("created_by")
        createdTime = row["created_time"]
        modifiedBy = row.string("modified_by")
        modifiedTime = row["modified_time"]
        agentCount = row.int("agent_count")
        serverPolicy = row.optionalInt("server_policy")
        workstationPolicy = row.optionalInt("workstation_policy")
    }

    /// Tactical RMM's client object, with its sites.
    func json(sites: [SiteRow]) -> JSON {
        [
            "id": .init(id), "name": .init(name), "block_policy_inheritance": .init(blockPolicyInheritance),
            "custom_fields": customFields, "created_by": .init(createdBy), "created_time": .init(createdTime),
            "modified_by": .init(modifiedBy), "modified_time": .init(modifiedTime), "agent_count": .init(agentCount),
            "sites": .array(sites.map(\.json)), "server_policy": .init(serverPolicy), "workstation_policy": .init(workstationPolicy),
        ]
    }
}

/// A site row, with its client's name.
struct SiteRow: Sendable {
    let id: Int
    let name: String
    let clientID: Int
    let clientName: String
    let blockPolicyInheritance: Bool
    let customFields: JSON
    let createdBy: String
    let createdTime: String?
    let modifiedTime: String?
    let agentCount: Int
    let serverPolicy: Int?
    let workstationPolicy: Int?

    init(_ row: PGRow) {
        id = row.int("id")
        name = row.string("name")
        clientID = row.int("client_id")
        clientName = row.string("client_name")
        blockPolicyInheritance = row.bool("block_policy_inheritance")
        customFields = .fromDatabase(row["custom_fields"], fallback: [:])
        createdBy = row.string("created_by")
        createdTime = row["created_time"]
        modifiedTime = row["modified_time"]
        agentCount = row.int("agent_count")
        serverPolicy = row.optionalInt("server_policy")
        workstationPolicy = row.optionalInt("workstation_policy")
    }

    /// Tactical RMM's site object.
    var json: JSON {
        [
            "id": .init(id), "name": .init(name), "client": .init(clientID), "client_name": .init(clientName),
            "block_policy_inheritance": .init(blockPolicyInheritance), "custom_fields": customFields, "created_by": .init(createdBy),
            "created_time": .init(createdTime), "modified_time": .init(modifiedTime), "agent_count": .init(agentCount),
            "server_policy": .init(serverPolicy), "workstation_policy": .init(workstationPolicy),
        ]
    }
}
