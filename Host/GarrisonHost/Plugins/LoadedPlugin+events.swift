import CGarrisonPlugin
import Foundation

/// event_subscribe during init, event_publish at any time, and delivery from the EventBus.
extension LoadedPlugin {
    /// Namespaces only the host publishes in.
    static let reservedEventPrefixes = ["agent.", "client.", "site.", "core."]

    func subscribe(
        pattern: garrison_bytes, fn: garrison_event_fn?, user: UnsafeMutableRawPointer?, freeFn: garrison_free_fn?,
        out: UnsafeMutablePointer<garrison_reg>?
    ) -> Int32 {
        out?.pointee = 0
        guard isRegistering else { return refuse(GARRISON_ERR_PHASE, "event_subscribe outside plugin_init") }
        guard let text = pattern.string, EventBus.isValidPattern(text) else {
            return refuse(
                GARRISON_ERR_INVALID, "event_subscribe: bad pattern '\(pattern.lossyString)' (an exact name, or a prefix ending in '*')")
        }
        guard let fn else { return refuse(GARRISON_ERR_INVALID, "event_subscribe \(text): fn is NULL") }
        let subscription = PluginRegistrations.Subscription(
            id: PluginRegistrations.nextID(), pattern: text, callback: PluginCallback(function: fn, user: PluginUserData(pointer: user)))
        let code = registering("event_subscribe") { registrations in
            registrations.subscriptions.append(subscription)
            registrations.addDestructor(freeFn, user)
            return .registered
        }
        if code == GARRISON_OK { out?.pointee = subscription.id }
        return code
    }

    /// Plugins publish under their own name ("hello-c.greeted"); the host's namespaces and
    /// other plugins' names are not theirs to use.
    func publish(name: garrison_bytes, json: garrison_bytes) -> Int32 {
        guard let eventName = name.string, !eventName.isEmpty,
            !json.isMalformed, let value = try? JSON.parse(json.data), value.objectValue != nil
        else { return GARRISON_ERR_INVALID }
        // From plugin_shutdown on, only log and answers are accepted (LIFECYCLE 5d).
        switch instance.state {
        case .stopping, .disabled, .failed: return GARRISON_ERR_PHASE
        default: break
        }
        let owner = self.name
        if Self.reservedEventPrefixes.contains(where: { eventName.hasPrefix($0) })
            || !(eventName == owner || eventName.hasPrefix(owner + "."))
        {
            logger.warning("event_publish refused: '\(eventName)' is outside the plugin's namespace '\(owner).'")
            return GARRISON_ERR_DENIED
        }
        services.events.publish(eventName, json: json.lossyString)
        return GARRISON_OK
    }

    /// Subscribes the plugin's registrations on the bus once it serves.
    func commitSubscriptions(_ subscriptions: [PluginRegistrations.Subscription]) {
        for subscription in subscriptions {
            let callback = subscription.callback
            services.events.subscribe(owner: name, pattern: subscription.pattern) { [self] event in
                guard enter(.dispatch) else { return }
                defer { exit() }
                var eventName = event.name
                var json = event.json
                eventName.withUTF8 { nameBytes in
                    json.withUTF8 { jsonBytes in
                        callback.function(
                            callback.user.pointer,
                            garrison_bytes(ptr: nameBytes.baseAddress, len: nameBytes.count),
                            garrison_bytes(ptr: jsonBytes.baseAddress, len: jsonBytes.count))
                    }
                }
            }
        }
    }
}
