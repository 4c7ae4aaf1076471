import Foundation

/// Where a run's output goes besides history (`_options.save_result` of a plugin command):
/// an agent note, and/or one of the agent's custom fields -- Tactical RMM's "note" and
/// "collector" output modes. Stored with the history row, so a run queued for an offline
/// agent still lands when it finally reports, and applied exactly once whichever result
/// arrives first (the NATS reply or the agent's histresult, docs/agent-protocol.md §7.8).
public enum AgentResultSinks {
    /// Checks a `save_result` object: {"note": bool, "custom_field": "<name>", "all_output": bool}.
    static func validated(_ value: JSON?) -> JSON?? {
        guard let value, !value.isNull else { return .some(nil) }
        guard let object = value.objectValue else { return nil }
        if let note = object["note"], note.boolValue == nil { return nil }
        if let field = object["custom_field"], field.stringValue.map({ $0.isEmpty }) ?? true { return nil }
        if let all = object["all_output"], all.boolValue == nil { return nil }
        return .some(value)
    }

    /// The text of a result: a string reply as is; a script's RunScriptResp as the agent's own
    /// runscript string reply would be (stdout followed by stderr).
    static func outputText(_ result: JSON) -> String {
        if let text = result.stringValue { return text }
        if let object = result.objectValue {
            return (object["stdout"]?.stringValue ?? "") + (object["stderr"]?.stringValue ?? "")
        }
        return result.databaseText
    }

    /// A collector keeps the last non-empty line, trimmed, unless it wants all of the output.
    static func fieldValue(_ output: String, allOutput: Bool) -> String {
        if allOutput { return output }
        let lines = output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        return lines.last { !$0.isEmpty } ?? ""
    }

    /// Claims the row's sink (so a second result does nothing) and writes what it asks for.
    static func apply(_ pool: DatabasePool, historyID: Int, result: JSON) async throws {
        guard let row = try await AgentHistoryWriter.claimSink(pool, id: historyID) else { return }
        let sink = JSON.fromDatabase(row.optionalString("sink"))
        let output = outputText(result)
        let agentID = row.string("agent_id")
        if sink["note"]?.boolValue == true {
            try await pool.query(
                "INSERT INTO agent_notes (agent_id, username, note) VALUES ($1, $2, $3)", [agentID, row.string("username"), output])
        }
        if let field = sink["custom_field"]?.stringValue {
            let value = fieldValue(output, allOutput: sink["all_output"]?.boolValue ?? false)
            try await pool.query(
                "UPDATE agents SET custom_fields = custom_fields || jsonb_build_object($2::text, $3::text) WHERE agent_id = $1",
                [agentID, field, value])
        }
    }
}
