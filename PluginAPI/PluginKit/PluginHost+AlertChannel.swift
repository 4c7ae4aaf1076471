/// The alert-channel convention (PluginAPI/README.md, "Adding an alert channel") that every
/// channel repeats: `<plugin>.delivery` reports, which the alerts plugin records on the alert
/// (Plugins/Alerts/README.md, "Delivery on the alert"). In-process and at most once: a lost
/// report leaves the alert showing the one before, and a lost acknowledgement makes the
/// alerts plugin publish the notification again.
public enum DeliveryState: String, Sendable {
    /// Kept by the channel, not tried yet: the acknowledgement.
    case received
    case sent, retrying
    /// Given up.
    case failed
}

/// What a channel counts on /metrics/ per attempt: `notifications_<outcome>_total` with a
/// `channel` label (one query, `sum by (channel)`, covers every channel).
public enum DeliveryOutcome: String, CaseIterable, Sendable {
    case sent, retried, failed

    /// The report's state for this outcome.
    public var state: DeliveryState { self == .sent ? .sent : self == .retried ? .retrying : .failed }
}

extension PluginHost {
    /// Adds to `notifications_<outcome>_total{channel=...}` (0 makes the series exist).
    public func countDelivery(_ outcome: DeliveryOutcome, channel: String, by delta: UInt64 = 1) {
        count("notifications_\(outcome.rawValue)_total", labels: ["channel": channel], by: delta)
    }

    /// Publishes `<plugin>.delivery` for `notification`: its `state`, the attempts so far, the
    /// last error, and the recipient (`target`) when the channel sends one message per
    /// recipient.
    public func reportDelivery(
        _ notification: Int, plugin: String, channel: String, state: DeliveryState, attempts: Int, error: String? = nil,
        target: String? = nil
    ) {
        var report: [String: JSON] = [
            "notification_id": .number(Double(notification)), "channel": .string(channel), "state": .string(state.rawValue),
            "attempts": .number(Double(attempts)), "last_error": error.map(JSON.string) ?? .null,
        ]
        if let target { report["target"] = .string(target) }
        try? publish(event: "\(plugin).delivery", json: JSON.object(report))
    }

    /// The acknowledgement (state `received`): the alerts plugin stops publishing the
    /// notification again. Call it once the notification is stored, and for a repeat too
    /// (the first acknowledgement may have been lost with a stop).
    public func acknowledgeNotification(_ notification: Int, plugin: String, channel: String) {
        reportDelivery(notification, plugin: plugin, channel: channel, state: .received, attempts: 0)
    }
}
