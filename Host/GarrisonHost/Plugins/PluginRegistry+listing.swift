import Foundation

/// `GET /core/plugins/` and `garrison plugins`: one entry per plugins.d file, with what the
/// plugin registered and why it is not running when it is not.
extension PluginRegistry {
    public func listing() -> [JSON] {
        records.keys.sorted().compactMap { records[$0] }.map(Self.render)
    }

    static func render(_ record: Record) -> JSON {
        var entry: [String: JSON] = [
            "file": .string(record.path),
            "library": .init(record.file?.library ?? record.error?.subject.library),
            "required": .bool(record.file?.required ?? false),
            "load_ms": record.loadMilliseconds.map { .number(($0 * 10).rounded() / 10) } ?? .null,
        ]
        guard let host = record.host else {
            entry["name"] = .init(record.error?.subject.name)
            entry["version"] = .init(record.error?.subject.version)
            entry["abi"] = .init(record.error?.subject.pluginABI)
            if let error = record.error {
                entry["state"] = "failed"
                entry["reason"] = .string(error.description)
                entry["code"] = .string(error.code.description)
            } else {
                entry["state"] = "disabled"
                entry["reason"] = "enabled = false"
            }
            return .object(entry)
        }
        let instance = host.instance
        let registrations = host.withState { $0.registrations }
        entry["name"] = .string(host.name)
        entry["version"] = .string(host.descriptor.version)
        entry["abi"] = .string(host.descriptor.abi)
        entry["min_host_minor"] = .init(Int(host.descriptor.minHostMinor))
        entry["build_info"] = .string(host.descriptor.buildInfo)
        entry["schema"] = .string(host.descriptor.schema)
        entry["state"] = .string(stateName(instance.state))
        entry["reason"] = record.error.map { .string($0.description) } ?? .init(instance.reason)
        if let code = record.error?.code { entry["code"] = .string(code.description) }
        entry["routes"] = .array(
            registrations.routes.map { route in
                var object: [String: JSON] = [
                    "method": .string(route.method.rawValue), "path": .string(route.pattern), "permission": .string(route.permission),
                ]
                if !route.scopes.isEmpty { object["scopes"] = .init(route.scopes.sorted()) }
                return .object(object)
            })
        entry["migrations"] = .init(registrations.migrations.map { Int($0.version) })
        entry["jobs"] = .init(registrations.jobKinds.map(\.name))
        entry["subscriptions"] = .init(registrations.subscriptions.map(\.pattern))
        entry["agent_handlers"] = .init(registrations.agentHandlers.map(\.name))
        entry["agent_members"] = .init(registrations.agentMembers.map(\.name))
        entry["auth_hook"] = .bool(!registrations.authHooks.isEmpty)
        return .object(entry)
    }

    static func stateName(_ state: PluginInstance.State) -> String {
        switch state {
        case .loading, .starting: return "loading"
        case .running: return "running"
        case .draining, .stopping: return "stopping"
        case .disabled: return "disabled"
        case .failed: return "failed"
        }
    }
}

extension PluginRegistry.ReloadReport {
    var json: JSON {
        [
            "loaded": .init(loaded), "disabled": .init(disabled), "failed": .init(failed), "refused": .init(refused),
            "unchanged": .init(unchanged),
        ]
    }
}
