import Foundation

/// The command line that installs an agent against this server (docs/agent-protocol.md §8):
/// the agent binary's `-m install` with the API URL, client, site, type and an installer token.
struct InstallCommand: Sendable {
    struct Server: Sendable {
        /// https URL agents use for REST; NATS goes to port 443 of the same host (or natsPort).
        let apiURL: String
        let agentVersion: String
        /// The nats-server TLS port for agents installed with --natsport; 0 when none.
        let natsTLSPort: Int
    }

    let server: Server
    let clientID: Int
    let siteID: Int
    let agentType: String
    let goarch: String
    let token: String
    /// Windows-only tweaks the installer applies (--power, --rdp, --ping).
    var power = false
    var rdp = false
    var ping = false

    private var arguments: [String] {
        var args = [
            "-m", "install", "--api", server.apiURL, "--client-id", String(clientID), "--site-id", String(siteID), "--agent-type",
            agentType, "--auth", token,
        ]
        if server.natsTLSPort > 0 { args += ["--natsport", String(server.natsTLSPort)] }
        return args
    }

    var windows: String {
        var args = arguments
        if power { args.append("--power") }
        if rdp { args.append("--rdp") }
        if ping { args.append("--ping") }
        let installer = "tacticalagent-v\(server.agentVersion)-windows-\(goarch).exe"
        return
            "\(installer) /VERYSILENT /SUPPRESSMSGBOXES && timeout /t 5 /nobreak > NUL && \"C:\\Program Files\\TacticalAgent\\tacticalrmm.exe\" "
            + args.joined(separator: " ")
    }

    var linux: String {
        "sudo ./tacticalagent-v\(server.agentVersion)-linux-\(goarch) " + arguments.map(Self.shellQuoted).joined(separator: " ")
    }

    var macOS: String {
        "sudo ./tacticalagent-v\(server.agentVersion)-darwin-\(goarch) " + arguments.map(Self.shellQuoted).joined(separator: " ")
    }

    /// A POSIX shell script for deployment links on Linux and macOS.
    var script: String {
        """
        #!/bin/sh
        # Installs the Tactical RMM agent against \(server.apiURL) (site \(siteID), \(agentType)).
        # Put the agent binary for this machine next to this script, then run it as root.
        set -e
        case "$(uname -s)" in
            Darwin) plat=darwin ;;
            *) plat=linux ;;
        esac
        exec "./tacticalagent-v\(server.agentVersion)-${plat}-\(goarch)" \(arguments.map(Self.shellQuoted).joined(separator: " "))

        """
    }

    static func shellQuoted(_ word: String) -> String {
        if word.allSatisfy({ $0.isLetter || $0.isNumber || "-_./:=".contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static let architectures: Set<String> = ["amd64", "386", "arm64", "arm"]
}
