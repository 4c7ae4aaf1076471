import CGarrisonPlugin
import Hummingbird
import NIOConcurrencyHelpers

/// The plugin's user pointer: opaque to the host, handed back untouched. @unchecked because
/// the host never dereferences it; thread-safety of the pointee is the plugin's contract.
struct PluginUserData: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer?
}

/// A C callback plus its user pointer. @unchecked: an immutable function address and an
/// opaque pointer the host only passes back.
struct PluginCallback<Function>: @unchecked Sendable {
    let function: Function
    let user: PluginUserData
}

/// What a plugin registered during plugin_init. Nothing here is visible to the rest of the
/// host until the registry commits it after init and migrations succeeded; on failure it is
/// dropped and `destructors` run, once each.
struct PluginRegistrations: Sendable {
    struct RouteEntry: Sendable {
        let id: UInt64
        let method: HTTPRequest.Method
        let pattern: String
        let permission: String
        let access: Access
        let scopes: Set<String>
        let callback: PluginCallback<garrison_route_fn>
    }

    struct MigrationEntry: Sendable {
        let version: UInt32
        let sql: String
    }

    struct Subscription: Sendable {
        let id: UInt64
        let pattern: String
        let callback: PluginCallback<garrison_event_fn>
    }

    struct Named<Function>: Sendable {
        let id: UInt64
        let name: String
        let callback: PluginCallback<Function>
    }

    /// register_agent_member (1.3).
    struct MemberEntry: Sendable {
        let id: UInt64
        let name: String
        let placement: AgentMemberPlacement
        let callback: PluginCallback<garrison_route_fn>
    }

    struct AuthHook: Sendable {
        let id: UInt64
        let callback: PluginCallback<garrison_auth_fn>
    }

    var routes: [RouteEntry] = []
    var migrations: [MigrationEntry] = []
    var subscriptions: [Subscription] = []
    var jobKinds: [Named<garrison_job_fn>] = []
    var agentHandlers: [Named<garrison_agent_msg_fn>] = []
    var authHooks: [AuthHook] = []
    var agentMembers: [MemberEntry] = []
    /// Every successful registration's free_fn with its user pointer, in registration order.
    var destructors: [PluginCallback<garrison_free_fn?>] = []
    /// The last refused registration, for the failure message if plugin_init then fails.
    var lastRefusal: String?

    mutating func addDestructor(_ freeFunction: garrison_free_fn?, _ user: UnsafeMutableRawPointer?) {
        destructors.append(PluginCallback(function: freeFunction, user: PluginUserData(pointer: user)))
    }

    /// Hands the destructors over exactly once: a second call gets none.
    mutating func takeDestructors() -> [PluginCallback<garrison_free_fn?>] {
        defer { destructors = [] }
        return destructors
    }

    /// Registration handles: never 0, unique for the life of the process.
    static func nextID() -> UInt64 {
        counter.withLockedValue {
            $0 += 1; return $0
        }
    }
    private static let counter = NIOLockedValueBox<UInt64>(0)
}
