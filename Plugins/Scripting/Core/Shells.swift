import Foundation

/// Tactical RMM's script shells (ScriptShell) and the platforms a script may support.
public enum ScriptShell: String, Sendable, CaseIterable, Codable {
    case powershell, cmd, python, shell, nushell, deno

    /// How a value substituted into a script argument is quoted, so it stays one argument
    /// whatever it holds: PowerShell and POSIX sh single-quote (PowerShell doubles an inner
    /// quote, sh closes, escapes and reopens), cmd double-quotes (an inner quote doubled),
    /// nushell double-quotes with backslash escapes. Python and deno get argv untouched by
    /// any shell, so their values are inserted as they are.
    public func quote(_ value: String) -> String {
        switch self {
        case .powershell: return "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
        case .shell: return "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
        case .cmd: return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        case .nushell:
            return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .python, .deno: return value
        }
    }
}

public enum Platform: String, Sendable, CaseIterable, Codable {
    case windows, linux, darwin
}

/// Shell rules for raw commands (docs/agent-protocol.md §4.6): agent 2.9.1 on
/// Windows knows only cmd and powershell (anything else crashes it); elsewhere it runs
/// `<shell words> -c <command>`, so the shell must be a path such as /bin/bash.
public enum CommandShell {
    public static func validated(_ shell: String, customShell: String?, plat: String) -> Result<String, ScriptingError> {
        let chosen = shell == "custom" ? (customShell ?? "") : shell
        if plat == "windows" {
            guard ["cmd", "powershell"].contains(chosen) else {
                return .failure(ScriptingError("Windows agents run commands only with cmd or powershell, not '\(chosen)'."))
            }
            return .success(chosen)
        }
        guard chosen.hasPrefix("/"), !chosen.contains("\n") else {
            return .failure(ScriptingError("Commands on \(plat) need a shell path such as /bin/bash, not '\(chosen)'."))
        }
        return .success(chosen)
    }
}

/// A refusal whose text is fit for the operator (a 400's detail).
public struct ScriptingError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
