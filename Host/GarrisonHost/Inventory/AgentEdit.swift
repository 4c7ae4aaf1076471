/// The editable fields of an agent, validated so that the agent never receives a
/// non-positive interval (a zero interval makes the real agent spin).
struct AgentEdit {
    var site: Int?
    var description: String?
    var monitoringType: String?
    var offlineTime: Int?
    var overdueTime: Int?
    var checkInterval: Int?
    var timeZone: String?
    var setsTimeZone = false
    var flags: [String: Bool] = [:]

    init(_ fields: FieldReader) throws {
        site = try fields.optionalInt("site", in: RequestInteger.id)
        description = try fields.optionalString("description")
        monitoringType = try fields.optionalString("monitoring_type")
        if let type = monitoringType, !["server", "workstation"].contains(type) {
            throw APIError.badRequest("Field 'monitoring_type' must be 'server' or 'workstation'.")
        }
        // Minutes, minutes, seconds.
        offlineTime = try fields.optionalInt("offline_time", in: 1...43_200)
        overdueTime = try fields.optionalInt("overdue_time", in: 1...43_200)
        checkInterval = try fields.optionalInt("check_interval", in: 15...86_400)
        if fields.has("time_zone") { setsTimeZone = true; timeZone = try fields.optionalString("time_zone") }
        for name in [
            "overdue_email_alert", "overdue_text_alert", "overdue_dashboard_alert", "maintenance_mode", "block_policy_inheritance",
        ] {
            if let value = try fields.optionalBool(name) { flags[name] = value }
        }
    }

    func flag(_ name: String) -> String? { flags[name].map { $0 ? "t" : "f" } }
}
