import Foundation

/// Rows of `agent_history`: what was sent to an agent, by whom, and what came back.
enum AgentHistoryStore {
    static let columns = "id, agent_id, time, type, command, username, script_name, origin, status, results, script_results, finished"

    static func render(_ row: PGRow) -> JSON {
        [
            "id": .init(row.int("id")), "agent": .init(row.string("agent_id")), "time": .init(row.string("time")),
            "type": .init(row.string("type")), "command": .init(row.string("command")), "username": .init(row.string("username")),
            "script_name": .init(row.string("script_name")), "origin": .init(row.string("origin")), "status": .init(row.string("status")),
            "results": .init(row.optionalString("results")),
            "script_results": JSON.fromDatabase(row.optionalString("script_results")),
            "finished": .init(row.optionalString("finished")),
        ]
    }
}

extension MsgPackValue {
    var mapValue: JSON? { if case .map = self { return json }; return nil }
}
