import Logging
import NIOConcurrencyHelpers

/// What the host offers plugins, in one value. A dry run (`garrison plugins`) has no
/// database: `pool` is nil and every database call completes with GARRISON_ERR_UNAVAILABLE.
struct PluginServices: Sendable {
    let pool: DatabasePool?
    let dispatcher: Dispatcher
    let events: EventBus
    let loginHooks: LoginHooks
    /// Plugins' members of the operator's agent object (register_agent_member).
    let agentMembers: AgentMembers
    let audit: AuditLog?
    let claims: PluginClaims
    /// The scheduler's registry and tables; nil in a dry run.
    let jobs: JobRegistry?
    let schedules: ScheduleStore?
    /// Commands to agents; nil in a dry run.
    let commander: AgentCommander?
    /// How long the host waits for a route's or an auth hook's answer.
    let callTimeout: Duration
    /// Fires those waits' deadlines (one timer for every open call).
    let callDeadlines: DeadlineSweeper
    /// How long disabling waits for in-flight calls before cancelling them.
    let drainTimeout: Duration
    /// The host's data folder: `${data_dir}` in a plugin's settings (PluginLibraryPath.swift).
    let dataDirectory: String
    let logger: Logger
}

/// Host-wide names that only one plugin may hold: job kinds and agent reply tags.
final class PluginClaims: Sendable {
    enum Kind: String, Sendable { case jobKind = "job kind", agentTag = "agent reply tag" }

    private let owners = NIOLockedValueBox<[Kind: [String: String]]>([:])

    init() {}

    func owner(of name: String, _ kind: Kind) -> String? {
        owners.withLockedValue { $0[kind]?[name] }
    }

    /// Claims every name for `owner`, or none: returns the first one taken by someone else.
    func claim(_ names: [(Kind, String)], owner: String) -> (Kind, String, String)? {
        owners.withLockedValue { owners in
            for (kind, name) in names {
                if let holder = owners[kind]?[name], holder != owner { return (kind, name, holder) }
            }
            for (kind, name) in names { owners[kind, default: [:]][name] = owner }
            return nil
        }
    }

    func release(owner: String) {
        owners.withLockedValue { owners in
            for kind in owners.keys { owners[kind] = owners[kind]?.filter { $0.value != owner } }
        }
    }
}
