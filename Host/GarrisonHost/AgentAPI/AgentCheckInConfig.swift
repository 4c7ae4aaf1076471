/// The answer to `GET /api/v3/<agent_id>/config/` (docs/agent-protocol.md §7.3): how often the
/// agent publishes each kind of telemetry, and its nushell/deno settings. Every key is always
/// present and every interval is positive: on any HTTP error or a zero interval agent 2.9.1
/// builds a Go ticker with a zero period and its service crashes.
struct AgentCheckInConfig: Sendable {
    /// Tactical RMM's shipped ranges (seconds, inclusive); a value is drawn per request so
    /// that agents started together drift apart.
    static let ranges: KeyValuePairs<String, ClosedRange<Int>> = [
        "checkin_hello": 30...60,
        "checkin_agentinfo": 200...400,
        "checkin_winsvc": 2400...3000,
        "checkin_pubip": 300...500,
        "checkin_disks": 1000...2000,
        "checkin_sw": 2800...3500,
        "checkin_wmi": 3000...4000,
        "checkin_syncmesh": 800...1200,
    ]

    /// The JSON body. nushell and deno installs stay off until a scripting plugin asks for them.
    static func json<G: RandomNumberGenerator>(using generator: inout G) -> JSON {
        var object: [String: JSON] = [:]
        for (key, range) in ranges { object[key] = .number(Double(Int.random(in: range, using: &generator))) }
        object["limit_data"] = false
        object["install_nushell"] = false
        object["install_nushell_version"] = ""
        object["install_nushell_url"] = ""
        object["nushell_enable_config"] = false
        object["install_deno"] = false
        object["install_deno_version"] = ""
        object["install_deno_url"] = ""
        object["deno_default_permissions"] = ""
        return .object(object)
    }

    static func json() -> JSON {
        var generator = SystemRandomNumberGenerator()
        return json(using: &generator)
    }
}
