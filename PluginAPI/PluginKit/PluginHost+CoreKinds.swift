import CGarrisonPlugin
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension PluginHost {
    /// core_get with any kind the host offers beyond `CoreKind` ("global", "agent_targets",
    /// ...). A kind the host does not know throws `PluginError(.unsupported, ...)`.
    public func coreObject(kindNamed kind: String, id: String) async throws -> JSON {
        try JSON(parsing: try await coreData(kindNamed: kind, id: id))
    }

    /// core_get's answer as the host sent it: decode a large list (agent_targets) straight
    /// into your own Decodable types without building a `JSON` tree first.
    public func coreData(kindNamed kind: String, id: String) async throws -> Data {
        let coreGet = api.required(\.core_get)
        return try await awaitDone("core_get \(kind) \(id)") { done, user, cancelOut in
            withBytes(kind, id) { kind, id in
                coreGet(handle, kind, id, done, user, cancelOut)
            }
        }
    }
}
