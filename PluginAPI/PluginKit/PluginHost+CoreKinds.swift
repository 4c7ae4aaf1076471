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

    /// core_get decoded into your own type; nil when the host has no such object, so a route
    /// can answer its own 404.
    ///
    ///     guard let agent = try await host.coreObject(kindNamed: "agent_brief", id: id, as: Agent.self) else { ... }
    public func coreObject<T: Decodable>(kindNamed kind: String, id: String, as type: T.Type) async throws -> T? {
        let raw: Data
        do { raw = try await coreData(kindNamed: kind, id: id) } catch let error as PluginError where error.status == .notFound {
            return nil
        }
        do { return try JSONCoding.decoder.decode(T.self, from: raw) } catch {
            throw PluginError(.internal, "core_get \(kind) \(id): \(JSONCoding.describe(error))")
        }
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
