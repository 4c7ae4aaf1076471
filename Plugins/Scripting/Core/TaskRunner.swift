import Foundation
import JSONText

/// The task runner exchange (docs/agent-protocol.md §7.7): what `GET .../taskrunner/` answers,
/// and the result the agent PATCHes back.
public enum TaskRunner {
    /// The action list the agent executes, with scripts looked up, snippets inlined and
    /// variables resolved for this agent.
    public static func actions(
        _ task: AutomatedTask, scripts: [Int: Script], snippets: [String: String], context: VariableContext, plat: String,
        nushellEnableConfig: Bool = false, denoDefaultPermissions: String = ""
    ) throws(ScriptingError) -> [JSON] {
        var out: [JSON] = []
        for (n, action) in task.actions.enumerated() {
            switch action.type {
            case .cmd:
                let run = try RunCommand.command(
                    action.command ?? "", shell: action.shell ?? "", customShell: nil,
                    timeout: action.timeout ?? 90, runAsUser: false, context: context, plat: plat)
                out.append([
                    "type": "cmd", "command": .string(run.payload["command"] ?? ""), "shell": .string(run.payload["shell"] ?? ""),
                    "timeout": JSON(run.timeout),
                ])
            case .script:
                guard let id = action.script, let script = scripts[id] else {
                    throw ScriptingError("Action \(n + 1): script \(action.script ?? 0) no longer exists.")
                }
                let run = try RunCommand.script(
                    script, full: true, args: action.scriptArgs, envVars: action.envVars, timeout: action.timeout,
                    runAsUser: nil, snippets: snippets, context: context, plat: plat,
                    nushellEnableConfig: nushellEnableConfig, denoDefaultPermissions: denoDefaultPermissions)
                out.append([
                    "type": "script", "script_name": .string(script.name), "code": .string(run.payload["code"] ?? ""),
                    "script_args": JSON(run.scriptArgs ?? []), "shell": .string(script.shell.rawValue), "timeout": JSON(run.timeout),
                    "run_as_user": .bool(run.runAsUser), "env_vars": JSON(run.envVars ?? []),
                    "nushell_enable_config": .bool(nushellEnableConfig), "deno_default_permissions": .string(denoDefaultPermissions),
                ])
            }
        }
        return out
    }
}

/// What the agent PATCHes after running a task: every member present with its type, nothing
/// else accepted as a result.
public struct TaskRunResult: Sendable, Equatable, Decodable {
    public var stdout: String
    public var stderr: String
    public var retcode: Int
    public var executionTime: Double

    enum CodingKeys: String, CodingKey {
        case stdout, stderr, retcode
        case executionTime = "execution_time"
    }

    public init(stdout: String, stderr: String, retcode: Int, executionTime: Double) {
        self.stdout = stdout
        self.stderr = stderr
        self.retcode = retcode
        self.executionTime = executionTime
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stdout = try c.decode(String.self, forKey: .stdout)
        stderr = try c.decode(String.self, forKey: .stderr)
        retcode = try c.decode(Int.self, forKey: .retcode)
        executionTime = try c.decode(Double.self, forKey: .executionTime)
        guard executionTime >= 0, executionTime.isFinite else {
            throw DecodingError.dataCorruptedError(
                forKey: .executionTime, in: c, debugDescription: "execution_time must be a non-negative number")
        }
    }

    /// Tactical RMM: passing iff the return code is 0.
    public var status: String { retcode == 0 ? "passing" : "failing" }
}
