/// Telemetry for many agents folded into one row per agent, ready for one UPDATE ... FROM
/// unnest(...). Within a batch a later message of the same kind replaces an earlier one;
/// kinds do not touch each other's columns.
struct TelemetryBatch: Sendable {
    struct Row: Sendable, Equatable {
        let agentID: String
        var hello = false
        var version: String?
        var info: AgentTelemetry.AgentInfo?
        var disks: String?
        var services: String?
        var wmi: String?
        var publicIP: String?
    }

    private(set) var rows: [Row] = []
    private var index: [String: Int] = [:]
    private(set) var messages = 0

    var isEmpty: Bool { rows.isEmpty }

    mutating func add(_ telemetry: AgentTelemetry) {
        messages += 1
        let position: Int
        if let existing = index[telemetry.agentID] {
            position = existing
        } else {
            position = rows.count
            index[telemetry.agentID] = position
            rows.append(Row(agentID: telemetry.agentID))
        }
        switch telemetry.body {
        case .hello(let version):
            rows[position].hello = true
            rows[position].version = version
        case .agentInfo(let info): rows[position].info = info
        case .disks(let json): rows[position].disks = json.databaseText
        case .services(let json): rows[position].services = json.databaseText
        case .wmi(let json): rows[position].wmi = json.databaseText
        case .publicIP(let address): rows[position].publicIP = address
        }
    }
}
