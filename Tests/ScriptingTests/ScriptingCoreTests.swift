import Foundation
import JSONText
import Testing
@testable import ScriptingCore

/// ScriptingCore's pure logic, table by table.
@Suite struct ScriptingCoreTests {
    @Test(arguments: [
        (ScriptShell.powershell, "it's", "'it''s'"),
        (.shell, "it's $HOME", "'it'\\''s $HOME'"),
        (.cmd, "say \"hi\" & exit", "\"say \"\"hi\"\" & exit\""),
        (.nushell, "a \"b\" \\c", "\"a \\\"b\\\" \\\\c\""),
        (.python, "it's \"raw\"", "it's \"raw\""),
        (.deno, "ü 😀", "ü 😀"),
    ])
    func quoting(shell: ScriptShell, value: String, quoted: String) {
        #expect(shell.quote(value) == quoted)
    }

    @Test func snippets_inlineKnownNames_once_andLeaveEverythingElse() {
        let snippets = ["greet": "echo hi {{other}}", "other": "never"]
        let table: [(String, String)] = [
            ("{{greet}}", "echo hi {{other}}"),
            ("a {{ greet }} b", "a echo hi {{other}} b"),
            ("{{missing}} {{agent.hostname}}", "{{missing}} {{agent.hostname}}"),
            ("unclosed {{greet", "unclosed {{greet"),
            ("{{{{greet}}}}", "{{echo hi {{other}}}}"),
            ("ü\r\n{{greet}}\n", "ü\r\necho hi {{other}}\n"),
        ]
        for (code, expanded) in table { #expect(Templates.expandSnippets(code, snippets: snippets) == expanded, "\(code)") }
    }

    @Test func variables_resolveQuotedForTheShell_andUnknownOnesAreRefused() throws {
        let context = VariableContext(
            agent: ["hostname": "web 1", "Rack": "R'7"], client: ["name": "Acme"], site: ["name": "HQ"], global: ["key": "s$cret"])
        #expect(try context.resolveArgument("--host={{agent.hostname}}", shell: .powershell) == "--host='web 1'")
        #expect(try context.resolveArgument("{{agent.Rack}}", shell: .shell) == "'R'\\''7'")
        #expect(try context.resolveArgument("{{client.name}}/{{site.name}}", shell: .cmd) == "\"Acme\"/\"HQ\"")
        #expect(try context.resolveEnvVar("KEY={{global.key}}") == "KEY=s$cret")
        #expect(try context.resolveCommand("echo {{global.key}}", shell: "/bin/bash") == "echo 's$cret'")
        #expect(try context.resolveCommand("echo {{global.key}}", shell: "powershell") == "echo 's$cret'")
        #expect(try context.resolveArgument("{{snippet}} {{ agent.hostname }}", shell: .python) == "{{snippet}} web 1")
        #expect(throws: ScriptingError("Unknown variable {{global.nope}}.")) {
            try context.resolveArgument("{{global.nope}}", shell: .shell)
        }
        #expect(Templates.variables(in: ["{{agent.a}} {{x}}", "{{global.b}}"]) == ["agent.a", "global.b"])
    }

    @Test func runscriptEnvelope_isTheAgentsShape() throws {
        let script = Script(
            name: "s", shell: .powershell, code: "{{sn}}", args: ["{{agent.hostname}}"], envVars: ["A=1"], defaultTimeout: 45,
            supportedPlatforms: [.windows], runAsUser: true)
        let run = try RunCommand.script(
            script, full: true, args: nil, envVars: nil, timeout: nil, runAsUser: nil, snippets: ["sn": "Get-Date"],
            context: VariableContext(agent: ["hostname": "pc"]), plat: "windows", denoDefaultPermissions: "--allow-all")
        #expect(run.function == "runscriptfull" && run.timeout == 45 && run.payload == ["code": "Get-Date", "shell": "powershell"])
        #expect(run.scriptArgs == ["'pc'"] && run.envVars == ["A=1"] && run.runAsUser && run.denoDefaultPermissions == "--allow-all")
        #expect(
            Set(run.members.keys) == [
                "func", "timeout", "payload", "script_args", "env_vars", "run_as_user", "nushell_enable_config", "deno_default_permissions",
            ])
        #expect(throws: ScriptingError.self) {
            try RunCommand.script(
                script, full: false, args: nil, envVars: nil, timeout: nil, runAsUser: nil, snippets: [:], context: .init(), plat: "linux")
        }
        #expect(throws: ScriptingError.self) {
            try RunCommand.script(
                script, full: false, args: nil, envVars: ["NOEQUALS"], timeout: nil, runAsUser: nil, snippets: [:],
                context: .init(agent: ["hostname": "x"]), plat: "windows")
        }
        // run_as_user means something only on Windows.
        let linux = Script(name: "l", shell: .shell, code: "id", runAsUser: true)
        #expect(
            try RunCommand.script(
                linux, full: false, args: nil, envVars: nil, timeout: 5, runAsUser: nil, snippets: [:], context: .init(), plat: "linux"
            ).runAsUser == false)
    }

    @Test(
        arguments: [
            ("cmd", nil, "windows", true), ("powershell", nil, "windows", true), ("/bin/bash", nil, "windows", false),
            ("/bin/bash", nil, "linux", true), ("cmd", nil, "linux", false), ("custom", "/usr/bin/zsh", "darwin", true),
            ("custom", "", "linux", false), ("", nil, "linux", false),
        ] as [(String, String?, String, Bool)])
    func commandShells(shell: String, custom: String?, plat: String, accepted: Bool) {
        let result = CommandShell.validated(shell, customShell: custom, plat: plat)
        if case .success = result { #expect(accepted) } else { #expect(!accepted) }
    }

    @Test func bulkTargets_selectByTargetTypeAndOS() throws {
        let agents: [BulkTarget.Candidate] = [
            .init(agentID: "a", plat: "windows", monitoringType: "server", clientID: 1, siteID: 1),
            .init(agentID: "b", plat: "linux", monitoringType: "server", clientID: 1, siteID: 2),
            .init(agentID: "c", plat: "windows", monitoringType: "workstation", clientID: 2, siteID: 3, status: "offline"),
            .init(agentID: "d", plat: "darwin", monitoringType: "workstation", clientID: 2, siteID: 3),
        ]
        let table: [(BulkTarget, [String])] = [
            (.init(target: .all), ["a", "b", "c", "d"]),
            (.init(target: .client, client: 1), ["a", "b"]),
            (.init(target: .site, site: 3, monType: "workstations"), ["c", "d"]),
            (.init(target: .agents, agents: ["a", "d", "zz"]), ["a", "d"]),
            (.init(target: .all, monType: "servers", osType: "windows"), ["a"]),
            (.init(target: .all, osType: "darwin"), ["d"]),
            (.init(target: .all, monType: "all", osType: "all"), ["a", "b", "c", "d"]),
        ]
        for (target, expected) in table {
            try target.validate()
            #expect(target.select(agents).map(\.agentID) == expected, "\(target)")
        }
        #expect(throws: ScriptingError.self) { try BulkTarget(target: .client).validate() }
        #expect(throws: ScriptingError.self) { try BulkTarget(target: .agents, agents: []).validate() }
        #expect(throws: ScriptingError.self) { try BulkTarget(target: .all, osType: "beos").validate() }
        #expect(try BulkTarget(target: .site, site: 4).hostQuery() == "site:4")
    }

    @Test func taskRunner_buildsActions_andResultsMustBeWellFormed() throws {
        var task = AutomatedTask(
            agentID: "a", name: "t", taskType: .manual,
            actions: [
                .init(type: .script, script: 7, scriptArgs: ["{{agent.hostname}}"], timeout: 20),
                .init(type: .cmd, command: "dir {{agent.hostname}}", shell: "cmd", timeout: 10),
            ])
        task.continueOnError = false
        let scripts = [7: Script(id: 7, name: "S", shell: .powershell, code: "{{x}}", envVars: ["E=1"])]
        let actions = try TaskRunner.actions(
            task, scripts: scripts, snippets: ["x": "Write-Output 1"], context: .init(agent: ["hostname": "pc 1"]), plat: "windows")
        #expect(actions[0]["script_name"] == "S" && actions[0]["code"] == "Write-Output 1" && actions[0]["script_args"] == ["'pc 1'"])
        #expect(actions[0]["timeout"] == 20 && actions[0]["env_vars"] == ["E=1"] && actions[0]["shell"] == "powershell")
        #expect(actions[1]["command"] == "dir \"pc 1\"" && actions[1]["shell"] == "cmd" && actions[1]["type"] == "cmd")
        #expect(throws: ScriptingError.self) {
            try TaskRunner.actions(task, scripts: [:], snippets: [:], context: .init(agent: ["hostname": "x"]), plat: "windows")
        }
        // Agent 2.9.1 on Windows crashes on other shells: refused before it is sent.
        task.actions = [.init(type: .cmd, command: "ls", shell: "/bin/bash")]
        #expect(throws: ScriptingError.self) {
            try TaskRunner.actions(task, scripts: [:], snippets: [:], context: .init(), plat: "windows")
        }

        let decoder = JSONDecoder()
        let good = try decoder.decode(TaskRunResult.self, from: Data(#"{"stdout":"ü","stderr":"","retcode":0,"execution_time":1.5}"#.utf8))
        #expect(good == TaskRunResult(stdout: "ü", stderr: "", retcode: 0, executionTime: 1.5) && good.status == "passing")
        for bad in [
            #"{"stdout":"","stderr":"","retcode":"0","execution_time":1}"#, #"{"stdout":"","stderr":"","execution_time":1}"#,
            #"{"stdout":null,"stderr":"","retcode":0,"execution_time":1}"#, #"{"stdout":"","stderr":"","retcode":0,"execution_time":-2}"#,
            "[]",
        ] {
            #expect(throws: (any Error).self) { try decoder.decode(TaskRunResult.self, from: Data(bad.utf8)) }
        }
    }

    @Test func tasksValidate() {
        let cmd = AutomatedTask.Action(type: .cmd, command: "x", shell: "/bin/sh")
        #expect(throws: ScriptingError.self) { try AutomatedTask(agentID: "a", name: "t", taskType: .manual, actions: []).validate() }
        #expect(throws: ScriptingError.self) { try AutomatedTask(agentID: "a", name: "t", taskType: .daily, actions: [cmd]).validate() }
        #expect(throws: ScriptingError.self) {
            try AutomatedTask(agentID: "a", name: "t", taskType: .manual, actions: [.init(type: .script)]).validate()
        }
        #expect(throws: Never.self) {
            try AutomatedTask(agentID: "a", name: "t", taskType: .daily, actions: [cmd], runTimeDate: "2026-01-01T08:00:00Z").validate()
        }
    }
}
