/// The alert-channel convention (PluginAPI/README.md, "Adding an alert channel") that every
/// channel repeats: a channel acknowledges each alert.notify it kept.
extension PluginHost {
    /// Publishes `<plugin>.delivery` with state `received` for `notification`: the alerts
    /// plugin then stops publishing it again. Call it once the notification is stored (a
    /// repeat too: the first acknowledgement may have been lost with a stop). Events are
    /// in-process and at most once, hence the alerts plugin's republishing.
    public func acknowledgeNotification(_ notification: Int, plugin: String, channel: String) {
        try? publish(
            event: "\(plugin).delivery",
            json: ["notification_id": .number(Double(notification)), "channel": .string(channel), "state": "received", "attempts": 0] as JSON)
    }
}
