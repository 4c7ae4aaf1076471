/// What the host knows about each `func` agent 2.9.1 handles (docs/agent-protocol.md
/// §4.3): whether the agent answers, how long Tactical RMM waits, and whether the command can
/// wait for an offline agent. Waiting on a function that never answers would only ever end
/// in a timeout, so those are always published without a reply subject.
public struct CommandTraits: Sendable, Equatable {
    public let replies: Bool
    /// Seconds to wait for the answer when the caller gives no timeout.
    public let defaultTimeout: Int
    /// Meaningful later: a reboot, an update, a software install, a script whose result goes
    /// to history. A process list or a ping answered hours later is worthless.
    public let queueable: Bool
}

public enum CommandCatalog {
    static let table: [String: CommandTraits] = [
        "ping": .init(replies: true, defaultTimeout: 2, queueable: false),
        "patchmgmt": .init(replies: true, defaultTimeout: 10, queueable: true),
        "schedtask": .init(replies: true, defaultTimeout: 10, queueable: true),
        "delschedtask": .init(replies: true, defaultTimeout: 10, queueable: true),
        "listschedtasks": .init(replies: true, defaultTimeout: 10, queueable: false),
        "eventlog": .init(replies: true, defaultTimeout: 32, queueable: false),
        "procs": .init(replies: true, defaultTimeout: 5, queueable: false),
        "killproc": .init(replies: true, defaultTimeout: 15, queueable: false),
        "rawcmd": .init(replies: true, defaultTimeout: 32, queueable: true),
        "winservices": .init(replies: true, defaultTimeout: 10, queueable: false),
        "winsvcdetail": .init(replies: true, defaultTimeout: 10, queueable: false),
        "winsvcaction": .init(replies: true, defaultTimeout: 32, queueable: false),
        "editwinsvc": .init(replies: true, defaultTimeout: 10, queueable: false),
        "runscript": .init(replies: true, defaultTimeout: 32, queueable: true),
        "runscriptfull": .init(replies: true, defaultTimeout: 32, queueable: true),
        "recover": .init(replies: true, defaultTimeout: 90, queueable: false),
        "softwarelist": .init(replies: true, defaultTimeout: 15, queueable: false),
        "shutdown": .init(replies: true, defaultTimeout: 10, queueable: false),
        "rebootnow": .init(replies: true, defaultTimeout: 10, queueable: true),
        "needsreboot": .init(replies: true, defaultTimeout: 10, queueable: false),
        "sysinfo": .init(replies: true, defaultTimeout: 20, queueable: false),
        "cpuloadavg": .init(replies: true, defaultTimeout: 15, queueable: false),
        "runchecks": .init(replies: true, defaultTimeout: 15, queueable: false),
        "publicip": .init(replies: true, defaultTimeout: 10, queueable: false),
        "installwithchoco": .init(replies: true, defaultTimeout: 2, queueable: true),
        "agentupdate": .init(replies: true, defaultTimeout: 10, queueable: true),
        "uninstall": .init(replies: true, defaultTimeout: 10, queueable: false),
        // No answer, ever (docs/agent-protocol.md §4.3).
        "wmi": .init(replies: false, defaultTimeout: 0, queueable: false),
        "runtask": .init(replies: false, defaultTimeout: 0, queueable: true),
        "installpython": .init(replies: false, defaultTimeout: 0, queueable: true),
        "installnushell": .init(replies: false, defaultTimeout: 0, queueable: true),
        "installdeno": .init(replies: false, defaultTimeout: 0, queueable: true),
        "installchoco": .init(replies: false, defaultTimeout: 0, queueable: true),
        "getwinupdates": .init(replies: false, defaultTimeout: 0, queueable: true),
        "installwinupdates": .init(replies: false, defaultTimeout: 0, queueable: true),
    ]

    /// Unknown functions (a newer agent's, say) are sent without waiting: agent 2.9.1 ignores
    /// what it does not know, so a reply cannot be counted on.
    public static func traits(_ function: String) -> CommandTraits {
        table[function] ?? .init(replies: false, defaultTimeout: 0, queueable: false)
    }
}
