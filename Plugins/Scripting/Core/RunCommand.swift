import Foundation
import JSONText

/// The `runscript` / `runscriptfull` / `rawcmd` envelopes exactly as agent 2.9.1 reads them
/// (docs/agent-protocol.md §4.2, §4.3): payload values are strings, `timeout` an int,
/// `script_args` and `env_vars` lists of strings. `id` is added by the host from the history
/// row it records.
public struct RunCommand: Sendable, Equatable {
    public var function: String
    public var timeout: Int
    public var payload: [String: String]
    public var scriptArgs: [String]?
    public var envVars: [String]?
    public var runAsUser: Bool
    public var nushellEnableConfig: Bool?
    public var denoDefaultPermissions: String?

    /// The members of the JSON command.
    public var members: [String: JSON] {
        var out: [String: JSON] = [
            "func": .string(function), "timeout": JSON(timeout), "payload": JSON(payload), "run_as_user": .bool(runAsUser),
        ]
        if let scriptArgs { out["script_args"] = JSON(scriptArgs) }
        if let envVars { out["env_vars"] = JSON(envVars) }
        if let nushellEnableConfig { out["nushell_enable_config"] = .bool(nushellEnableConfig) }
        if let denoDefaultPermissions { out["deno_default_permissions"] = .string(denoDefaultPermissions) }
        return out
    }

    /// A library script prepared for one agent: snippets inlined into the body, variables in
    /// the arguments and environment resolved and quoted for the script's shell.
    public static func script(
        _ script: Script, full: Bool, args: [String]?, envVars: [String]?, timeout: Int?, runAsUser: Bool?,
        snippets: [String: String], context: VariableContext, plat: String,
        nushellEnableConfig: Bool = false, denoDefaultPermissions: String = ""
    ) throws(ScriptingError) -> RunCommand {
        guard script.supports(plat) else {
            throw ScriptingError(
                "\(script.name) does not support \(plat) (it supports \(script.supportedPlatforms.map(\.rawValue).joined(separator: ", ")))."
            )
        }
        let seconds = timeout ?? script.defaultTimeout
        guard (1...86_400).contains(seconds) else { throw ScriptingError("timeout must be between 1 and 86400 seconds.") }
        var resolvedArgs: [String] = []
        for arg in args ?? script.args { resolvedArgs.append(try context.resolveArgument(arg, shell: script.shell)) }
        var resolvedEnv: [String] = []
        for env in envVars ?? script.envVars {
            guard EnvVar.split(env) != nil else { throw ScriptingError("Environment variable '\(env)' must look like NAME=value.") }
            resolvedEnv.append(try context.resolveEnvVar(env))
        }
        return RunCommand(
            function: full ? "runscriptfull" : "runscript", timeout: seconds,
            payload: ["code": Templates.expandSnippets(script.code, snippets: snippets), "shell": script.shell.rawValue],
            scriptArgs: resolvedArgs, envVars: resolvedEnv, runAsUser: (runAsUser ?? script.runAsUser) && plat == "windows",
            nushellEnableConfig: nushellEnableConfig, denoDefaultPermissions: denoDefaultPermissions)
    }

    /// A raw command (`rawcmd`) with the shell rules of CommandShell.
    public static func command(
        _ command: String, shell: String, customShell: String?, timeout: Int, runAsUser: Bool,
        context: VariableContext, plat: String
    ) throws(ScriptingError) -> RunCommand {
        let chosen = try CommandShell.validated(shell, customShell: customShell, plat: plat).get()
        guard (1...86_400).contains(timeout) else { throw ScriptingError("timeout must be between 1 and 86400 seconds.") }
        guard !command.isEmpty else { throw ScriptingError("The command is empty.") }
        return RunCommand(
            function: "rawcmd", timeout: timeout,
            payload: ["command": try context.resolveCommand(command, shell: chosen), "shell": chosen],
            runAsUser: runAsUser && plat == "windows")
    }
}
