extension AuditLog.Entry {
    /// An entry attributed to the caller of `call`.
    public init(
        _ call: Call, _ action: AuditLog.Action, _ objectType: String, _ message: String, before: JSON? = nil, after: JSON? = nil,
        agentID: String? = nil, agentHostname: String? = nil, clientID: Int? = nil, siteID: Int? = nil
    ) {
        self.init(
            username: call.principal?.name ?? "anonymous", action: action, objectType: objectType, message: message, before: before,
            after: after, agentHostname: agentHostname, agentID: agentID, sourceIP: call.sourceIP, clientID: clientID, siteID: siteID)
    }
}
