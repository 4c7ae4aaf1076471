import AgentWire

/// How an emulated agent answers the server's commands (docs/agent-protocol.md §4.3, §4.4), as
/// agent 2.9.1 on Linux does: Windows-only functions give their non-Windows stub answers,
/// commands that would run something give canned output. A nil reply means the agent sends
/// none, as the real one does for runtask, wmi, the installers and unknown functions.
public enum AgentCommands {
    public struct Outcome {
        public var reply: MsgPackValue?
        /// Telemetry to publish before replying (sysinfo, wmi).
        public var publish: [AgentTelemetryMessages.Kind] = []
    }

    public static func answer(_ command: MsgPackValue, agent: AgentIdentity) -> Outcome {
        let function = command["func"]?.stringValue ?? ""
        switch function {
        case "ping": return Outcome(reply: "pong")
        case "patchmgmt", "delschedtask", "killproc", "recover", "shutdown", "rebootnow", "runchecks":
            return Outcome(reply: "ok")
        case "schedtask": return Outcome(reply: "Something went wrong")
        case "listschedtasks", "eventlog", "winservices", "softwarelist": return Outcome(reply: .array([]))
        case "procs": return Outcome(reply: .array([process]))
        case "rawcmd": return Outcome(reply: .string(command["payload"]?["command"]?.stringValue.map { "emulated: \($0)\n" } ?? ""))
        case "runscript": return Outcome(reply: "")
        case "runscriptfull":
            return Outcome(
                reply: .object([
                    "stdout": "", "stderr": "", "retcode": 0, "execution_time": .double(0.01),
                    "id": .int(Int64(command["id"]?.intValue ?? 0)),
                ]))
        case "winsvcdetail": return Outcome(reply: emptyService)
        case "winsvcaction", "editwinsvc": return Outcome(reply: .object(["success": false, "errormsg": "/na"]))
        case "needsreboot": return Outcome(reply: false)
        case "cpuloadavg": return Outcome(reply: 3)
        case "publicip": return Outcome(reply: "127.0.0.1")
        case "sysinfo": return Outcome(reply: "ok", publish: [.agentInfo, .disks, .wmi, .publicIP])
        case "wmi": return Outcome(reply: nil, publish: [.wmi])
        // "" is the agent's own telemetry coming back (echo); the rest never reply.
        default: return Outcome(reply: nil)
        }
    }

    static let process: MsgPackValue = .object([
        "name": "tacticalagent", "pid": 1234, "membytes": .uint(25_000_000), "username": "root", "id": 1, "cpu_percent": "0.3",
    ])

    static let emptyService: MsgPackValue = .object([
        "name": "", "status": "", "display_name": "", "binpath": "", "description": "", "username": "",
        "pid": .uint(0), "start_type": "", "autodelay": false,
    ])
}
