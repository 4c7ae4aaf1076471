import Foundation
import PluginKit
import ScriptingCore

/// Alert templates' script actions (Plugins/Scripting/README.md, "Alert actions"): the alerts
/// plugin's alert.notify of channel "script" names a library script, its arguments,
/// environment variables and timeout. It is kept once (unique notification_id), run once
/// with runscriptfull on the alert's agent (variables resolved as for any run), and its
/// output published as scripting.alert_action.result, which the alerts plugin records on the
/// alert. An offline agent's action runs on another online agent (Tactical RMM's run_on_any). A run is claimed before it is sent, so a script runs at most once per action: a stop
/// while it runs leaves it unrun rather than running it twice.
extension Scripting {
    func registerAlertActions(_ r: Registrar) throws {
        try r.migration(version: 2, sql: """
            -- One row per alert action of channel "script": claimed (started) before it is sent,
            -- its outcome kept, published_time once scripting.alert_action.result went out.
            CREATE TABLE alert_actions (
                id bigserial PRIMARY KEY,
                notification_id bigint NOT NULL UNIQUE,
                alert_id bigint,
                kind text NOT NULL,
                agent_id text,
                action jsonb NOT NULL,
                received timestamptz NOT NULL DEFAULT now(),
                started timestamptz,
                finished timestamptz,
                error text,
                result jsonb,
                published_time timestamptz
            );
            CREATE INDEX alert_actions_open ON alert_actions (id) WHERE published_time IS NULL;
            """)
        try r.subscribe("alert.notify") { event in await self.alertActionReceived(event) }
        try r.jobKind("scripting.alert_actions") { _ in ["run": .number(Double(try await self.alertActionsSweep()))] }
        try r.subscribe("core.started") { _ in await self.ensureAlertActionSchedule() }
        Task { await self.ensureAlertActionSchedule() }
    }

    func ensureAlertActionSchedule() async {
        for attempt in 1...50 {
            do {
                _ = try await host.upsertSchedule(
                    ["id": JSON.string("scripting-alert-actions"), "kind": "scripting.alert_actions", "every_s": 30] as JSON)
                return
            } catch {
                if attempt == 50 { host.log(.warning, "alert action schedule: \(error)"); return }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func alertActionReceived(_ event: PluginEvent) async {
        let e = event.json
        guard e["channel"]?.stringValue == "script", let id = e["notification_id"]?.intValue, let action = e["action"] else { return }
        do {
            let rows = try await host.queryRows(
                """
                INSERT INTO alert_actions (notification_id, alert_id, kind, agent_id, action) VALUES ($1, $2, $3, $4, $5::jsonb)
                ON CONFLICT (notification_id) DO NOTHING RETURNING id
                """,
                [
                    id, e["alert_id"]?.intValue, e["kind"]?.stringValue == "resolved" ? "resolved" : "raised", e["agent_id"]?.stringValue,
                    String(decoding: action.jsonBytes, as: UTF8.self),
                ])
            host.acknowledgeNotification(id, plugin: "scripting", channel: "script")
            if let row = rows.first?["id"]?.intValue { try await runAlertAction(row) }
        } catch { host.log(.warning, "alert action #\(id): \(error)") }
    }

    /// Claims and runs one action (nothing if another run claimed it), then publishes.
    func runAlertAction(_ id: Int) async throws {
        struct Row: Decodable { let id: Int; let agent_id: String?; let action: JSON }
        let claimed: [Row] = try await host.query(
            "UPDATE alert_actions SET started = now() WHERE id = $1 AND started IS NULL RETURNING id, agent_id, action", [id])
        guard let row = claimed.first else { return }
        var result: JSON?
        var failure: String?
        do {
            guard let agentID = row.agent_id else { throw PluginHTTPError(400, "the alert has no agent") }
            guard let scriptID = row.action["script"]?.intValue, let script = try await library.script(scriptID) else {
                throw PluginHTTPError(404, "script \(row.action["script"]?.intValue ?? 0) does not exist")
            }
            let args = row.action["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let env = row.action["env_vars"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let timeout = min(max(row.action["timeout"]?.intValue ?? 15, 1), 86_400)
            let target = try await self.target(agentID, texts: args + env)
            let snippets = try await library.snippetCodes()
            let run = try checked { () throws(ScriptingError) in
                try RunCommand.script(
                    script, full: true, args: args, envVars: env, timeout: timeout, runAsUser: nil, snippets: snippets,
                    context: target.context, plat: target.plat, nushellEnableConfig: settings.nushellEnableConfig,
                    denoDefaultPermissions: settings.denoDefaultPermissions)
            }
            let runOn = try await onlineAgent(for: agentID, plat: target.plat)
            if runOn != agentID { host.log(.info, "alert action \(id): agent \(agentID) is offline, run on \(runOn) (run_on_any)") }
            result = try await request(runOn, command(run), timeout: run.timeout)
        } catch let error as PluginHTTPError {
            failure = error.detail
        } catch { failure = "\(error)" }
        try await host.execute(
            "UPDATE alert_actions SET finished = now(), error = $2, result = $3::jsonb WHERE id = $1",
            [id, failure, result.map { String(decoding: $0.jsonBytes, as: UTF8.self) }])
        if let failure { host.log(.warning, "alert action \(id) did not run: \(failure)") }
        try await publishAlertActions()
    }

    /// Tactical RMM's run_on_any for alert actions: the alert's own agent if it answers a ping,
    /// else the first other online agent that does -- of the same platform (Garrison's
    /// narrowing: Tactical RMM takes any, and a PowerShell script then fails on Linux). The
    /// script's variables stay those of the alert's agent. At most `runOnAnyTries` agents are
    /// pinged, a second each, so an outage of the whole fleet does not hold the action long.
    func onlineAgent(for agentID: String, plat: String) async throws -> String {
        if await answersPing(agentID) { return agentID }
        let targets = (try? await host.coreObject(kindNamed: "agent_targets", id: "all"))?.arrayValue ?? []
        let others = targets.filter {
            $0["status"] == "online" && $0["plat"]?.stringValue == plat && $0["agent_id"]?.stringValue != agentID
        }.compactMap { $0["agent_id"]?.stringValue }
        for other in others.prefix(Self.runOnAnyTries) {
            if await answersPing(other) { return other }
        }
        throw PluginHTTPError(503, "Unable to find an online agent")
    }

    static let runOnAnyTries = 10

    func answersPing(_ agentID: String) async -> Bool {
        let reply = try? await host.agentRequest(agentID: agentID, payload: ["func": "ping"] as JSON, timeout: .seconds(1))
        return reply?.stringValue == "pong"
    }

    /// Publishes the outcome of finished actions not yet published (a script that could not
    /// run is not reported, as Tactical RMM leaves action_run empty then), then marks them.
    @discardableResult
    func publishAlertActions() async throws -> Int {
        struct Row: Decodable { let id: Int; let notification_id: Int; let alert_id: Int?; let kind: String; let result: JSON? }
        let rows: [Row] = try await host.query(
            """
            SELECT id, notification_id, alert_id, kind, result FROM alert_actions
            WHERE published_time IS NULL AND finished IS NOT NULL ORDER BY id LIMIT 500
            """)
        var done: [Int] = []
        for row in rows {
            guard let alert = row.alert_id, let r = row.result, r.objectValue != nil else { done.append(row.id); continue }
            let seconds = r["execution_time"]?.doubleValue ?? 0
            let payload: JSON = [
                "notification_id": .number(Double(row.notification_id)), "alert_id": .number(Double(alert)), "kind": .string(row.kind),
                "channel": "script", "stdout": r["stdout"] ?? "", "stderr": r["stderr"] ?? "", "retcode": r["retcode"] ?? 0,
                "execution_time": .string(String(format: "%.4f", seconds)),
            ]
            do {
                try host.publish(event: "scripting.alert_action.result", json: payload)
                done.append(row.id)
            } catch { host.log(.warning, "publishing the result of alert action \(row.id): \(error)") }
        }
        if !done.isEmpty {
            try await host.execute(
                "UPDATE alert_actions SET published_time = now() WHERE id = ANY($1::bigint[])",
                ["{" + done.map(String.init).joined(separator: ",") + "}"])
        }
        return done.count
    }

    /// After a restart: actions received but never started are run; results are published.
    func alertActionsSweep() async throws -> Int {
        let ids = try await host.queryRows(
            "SELECT id FROM alert_actions WHERE started IS NULL AND received < now() - interval '5 seconds' ORDER BY id LIMIT 100"
        ).compactMap { $0["id"]?.intValue }
        for id in ids { try await runAlertAction(id) }
        try await publishAlertActions()
        return ids.count
    }
}
