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
        let coreGet = api.required(\.core_get)
        let data = try await awaitDone("core_get \(kind) \(id)") { done, user, cancelOut in
            withBytes(kind, id) { kind, id in
                coreGet(handle, kind, id, done, user, cancelOut)
            }
        }
        return try JSON(parsing: data)
    }
}
