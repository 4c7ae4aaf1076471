extension PluginHost {
    /// Refuses (403, with the host's reason) when the caller of `req` may not change operator
    /// `userID`: only a superuser touches a superuser, and nobody resets the password or second
    /// factor of an operator who holds a permission or scope the caller does not (that would
    /// be signing in as them). The rule is the host's own (core_get "may_manage_user"), so plugin
    /// routes and the host's account routes cannot drift apart. An unknown user answers 404.
    public func requireMayManage(user userID: Int, caller req: PluginRequest) async throws {
        guard req.principal["kind"]?.stringValue == "user", let callerID = req.principal["user_id"]?.intValue else {
            throw PluginHTTPError(403, "only operators can change operators")
        }
        let answer: JSON
        do {
            answer = try await coreObject(kindNamed: "may_manage_user", id: "\(callerID):\(userID)")
        } catch let error as PluginError where error.status == .notFound {
            throw PluginHTTPError(404, "No user with id \(userID).")
        }
        if answer["allowed"]?.boolValue != true {
            throw PluginHTTPError(403, answer["detail"]?.stringValue ?? "You may not change user \(userID).")
        }
    }
}
