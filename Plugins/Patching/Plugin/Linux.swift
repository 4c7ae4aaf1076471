import Foundation
import PatchingCore
import PluginKit

/// Linux packages through the agent's `runscriptfull` (no agent change): the scan script's
/// output becomes update rows (guid `apt:<name>` / `dnf:<name>`, kb = the package name), and an
/// install runs a script that upgrades exactly the approved packages, one by one, and reports
/// each. Policies, approvals, schedules and reboot rules are the Windows ones.
extension Patching {
    static let linuxPlatforms: Set<String> = ["linux"]

    func runScript(_ agentID: String, code: String, timeout: Int) async throws -> String {
        let command: JSON = [
            "func": "runscriptfull", "timeout": .number(Double(timeout)), "payload": ["code": .string(code), "shell": "shell"],
            "run_as_user": false, "script_args": [], "env_vars": [],
        ]
        let reply = try await host.agentRequest(agentID: agentID, payload: command, timeout: .seconds(timeout + 10))
        return reply["stdout"]?.stringValue ?? ""
    }

    /// Runs the scan on a Linux agent and stores what it found. Packages that no longer show
    /// up as upgradable (upgraded outside Garrison) are marked installed.
    func linuxScan(_ agent: Agent) async {
        do {
            let output = try await runScript(agent.agent_id, code: LinuxPackages.scanScript, timeout: settings.linuxScanTimeout)
            let scan = LinuxPackages.parse(output)
            guard scan.manager == "apt" || scan.manager == "dnf" else {
                host.log(.notice, "package scan on \(agent.hostname): no apt or dnf (\(scan.os))")
                return
            }
            let packages = scan.upgrades.map { $0.package() }
            if !packages.isEmpty {
                try await store(packages, agentID: agent.agent_id, agentPK: agent.id, kbs: scan.upgrades.map(\.name))
            }
            try await host.execute(
                """
                UPDATE updates SET installed = true WHERE agent_id = $1 AND guid LIKE $2 AND NOT installed AND NOT (guid = ANY($3::text[]))
                """, [agent.agent_id, scan.manager + ":%", Self.pgTextArray(packages.map(\.guid))])
            try await host.execute(
                """
                INSERT INTO agent_state (agent_id, needs_reboot) VALUES ($1, $2)
                ON CONFLICT (agent_id) DO UPDATE SET needs_reboot = EXCLUDED.needs_reboot
                """, [agent.agent_id, scan.rebootRequired])
        } catch {
            host.log(.notice, "package scan on \(agent.agent_id): \(error)")
        }
    }

    /// Installs the approved packages on a Linux agent and records each result; then the
    /// reboot rule, as after a Windows install.
    func linuxInstall(_ agent: Agent, guids: [String]) async {
        var byManager: [String: [String]] = [:]
        for guid in guids {
            let parts = guid.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            byManager[parts[0], default: []].append(parts[1])
        }
        var needsReboot = false
        for (manager, names) in byManager.sorted(by: { $0.key < $1.key }) {
            let script = LinuxPackages.installScript(manager: manager, packages: names)
            do {
                let output = try await runScript(agent.agent_id, code: script, timeout: settings.linuxInstallTimeout)
                let parsed = LinuxPackages.parseInstall(output)
                needsReboot = needsReboot || parsed.rebootRequired
                let results = JSON.array(parsed.results.map { ["guid": .string("\(manager):\($0.key)"), "ok": .bool($0.value)] })
                try await host.execute(
                    """
                    UPDATE updates u SET result = CASE WHEN r.ok THEN 'success' ELSE 'failed' END,
                        installed = u.installed OR r.ok, downloaded = u.downloaded OR r.ok,
                        date_installed = CASE WHEN r.ok THEN now() ELSE u.date_installed END
                    FROM jsonb_to_recordset($2::jsonb) AS r(guid text, ok boolean)
                    WHERE u.agent_id = $1 AND u.guid = r.guid
                    """, [agent.agent_id, String(decoding: try JSONEncoder().encode(results), as: UTF8.self)])
            } catch {
                host.log(.notice, "package install on \(agent.agent_id): \(error)")
                return
            }
        }
        do {
            try await host.execute(
                """
                INSERT INTO agent_state (agent_id, needs_reboot) VALUES ($1, $2)
                ON CONFLICT (agent_id) DO UPDATE SET needs_reboot = EXCLUDED.needs_reboot
                """, [agent.agent_id, needsReboot])
            let policy = try await effectivePolicy(agent)
            if policy.rebootsAfterInstall(needsReboot: needsReboot) {
                host.log(.debug, "\(agent.hostname) is rebooting after updates were installed.")
                try host.agentSend(agentID: agent.agent_id, payload: ["func": "rebootnow"] as JSON)
            }
        } catch {
            host.log(.notice, "after the package install on \(agent.agent_id): \(error)")
        }
    }
}
