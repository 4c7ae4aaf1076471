import PluginKit

/// Which shell string `rawcmd` may carry. Agent 2.9.1 crashes on any Windows shell other than
/// cmd and powershell, and runs `<shell> -c` elsewhere, so an empty shell would fail
/// (docs/agent-protocol.md §4.6).
enum ShellChoice {
    static func resolve(requested: String?, custom: String?, plat: String) throws -> String {
        if plat == "windows" {
            let shell = requested ?? "cmd"
            guard shell == "cmd" || shell == "powershell" else {
                throw PluginHTTPError(400, "Windows agents run commands with 'cmd' or 'powershell' only.")
            }
            return shell
        }
        let shell = requested == "custom" ? (custom ?? "") : (requested ?? "/bin/bash")
        let path = shell.isEmpty || shell == "cmd" || shell == "powershell" ? "" : shell
        guard path.hasPrefix("/") else { throw PluginHTTPError(400, "Linux and macOS agents need a shell path such as /bin/bash.") }
        return path
    }
}
