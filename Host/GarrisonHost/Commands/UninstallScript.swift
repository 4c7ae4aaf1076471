/// The `code` of the `uninstall` command (docs/agent-protocol.md §4.7). Windows agents run
/// their own uninstaller and ignore it (Tactical RMM sends "foo"); Linux and macOS agents
/// write it to a file and execute it detached, Linux with the argument `uninstall`.
enum UninstallScript {
    static func code(plat: String) -> String {
        switch plat {
        case "windows": return "foo"
        case "darwin":
            return """
                #!/bin/sh
                launchctl bootout system /Library/LaunchDaemons/tacticalagent.plist 2>/dev/null
                rm -f /Library/LaunchDaemons/tacticalagent.plist /etc/tacticalagent
                rm -rf /opt/tacticalagent

                """
        default:
            return """
                #!/bin/sh
                systemctl disable --now tacticalagent.service 2>/dev/null
                rm -f /etc/systemd/system/tacticalagent.service /etc/tacticalagent /usr/local/bin/rmmagent
                systemctl daemon-reload 2>/dev/null
                exit 0

                """
        }
    }
}
