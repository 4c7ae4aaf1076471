import ChecksCore
import PluginKit
import Foundation
import Testing

/// Failure counting, the due rule and interval, variables, policy merging and validation.
@Suite struct CheckLogicTests {
    @Test func failureCounter_raisesOnceAtTheThresholdAndResolvesOnce() {
        var counter = FailureCounter()
        let steps: [(CheckStatus, FailureCounter.Transition, Int)] = [
            (.failing, .none, 1), (.failing, .none, 2), (.failing, .failed, 3), (.failing, .none, 4),
            (.passing, .resolved, 0), (.passing, .none, 0), (.failing, .none, 1), (.passing, .none, 0),
        ]
        for (status, transition, count) in steps {
            #expect(counter.apply(status, failsBeforeAlert: 3) == transition)
            #expect(counter.failCount == count)
        }
        var one = FailureCounter()
        #expect(one.apply(.failing, failsBeforeAlert: 1) == .failed)
        #expect(one.reset() == .resolved && one.reset() == .none)
        var zero = FailureCounter()
        #expect(zero.apply(.failing, failsBeforeAlert: 0) == .failed, "0 behaves as 1")
        #expect(zero.apply(.pending, failsBeforeAlert: 1) == .none && zero.failCount == 1)
    }

    @Test(arguments: [
        (120, [Int](), 120), (120, [0, 300], 120), (120, [60, 90], 60), (120, [5], 15), (120, [14, 30], 15), (120, [30, 14], 15),
        (120, [90, 30], 30), (30, [60], 30),
    ])
    func runInterval_lowestCheckIntervalNeverBelow15(_ agent: Int, _ checks: [Int], _ expected: Int) {
        #expect(CheckSchedule.runInterval(agentInterval: agent, checkIntervals: checks) == expected)
    }

    @Test func jitter_isOneToSixtySeconds() {
        for _ in 0..<200 {
            let j = CheckSchedule.jittered(120)
            #expect((121...180).contains(j))
        }
    }

    @Test(arguments: [
        (nil as Double?, 0, 120, true), (1000.0, 0, 120, false), (1000.0, 0, 100, false), (1000.0, 0, 99, true),
        (1000.0, 300, 60, false), (800.0, 300, 60, false), (799.0, 300, 60, true),
    ])
    func due_neverRunOrOlderThanItsInterval(_ lastRun: Double?, _ runInterval: Int, _ agentInterval: Int, _ due: Bool) {
        #expect(CheckSchedule.isDue(lastRun: lastRun, runInterval: runInterval, agentInterval: agentInterval, now: 1100) == due)
    }

    @Test func variables_resolveFieldsAndCustomFieldsAndQuoteArgs() {
        let vars = ScriptVariables(
            agent: .object([
                "hostname": .string("web-1"), "total_ram": .number(16), "custom_fields": .object(["Owner": .string("O'Brien")]),
            ]),
            client: .object(["name": .string("Acme")]), site: .object(["name": .string("HQ")]), global: ["token": "s3cret"])
        #expect(vars.substitute("-host {{agent.hostname}}") == "-host web-1")
        #expect(vars.substitute("{{ client.name }}/{{site.name}}/{{agent.total_ram}}") == "Acme/HQ/16")
        #expect(vars.substitute("{{agent.nope}} stays") == "{{agent.nope}} stays")
        #expect(vars.substitute("{{global.token}}") == "s3cret")
        #expect(vars.arguments(["-o {{agent.Owner}}"], shell: "powershell") == ["-o 'O''Brien'"])
        #expect(vars.arguments(["{{agent.Owner}}"], shell: "shell") == ["'O'\\''Brien'"])
        #expect(vars.arguments(["{{agent.hostname}}"], shell: "cmd") == ["\"web-1\""])
        #expect(vars.environment(["OWNER={{agent.Owner}}"]) == ["OWNER=O'Brien"])
        #expect(ScriptVariables.references(["{{agent.x}}", "a {{site.y}} {{agent.z}}", "plain"]) == ["agent", "site"])
    }

    static func check(_ id: Int, _ type: CheckType, policy: Int? = nil, _ edit: (inout CheckDefinition) -> Void = { _ in })
        -> CheckDefinition
    {
        var c = CheckDefinition(id: id, checkType: type)
        c.policy_id = policy
        if policy == nil { c.agent_id = "agent" }
        edit(&c)
        return c
    }

    @Test func policyMerge_enforcedThenAgentThenPolicyChecks() {
        let agent = [Self.check(1, .diskspace) { $0.disk = "C:" }, Self.check(2, .cpuload), Self.check(3, .ping) { $0.ip = "10.0.0.1" }]
        let policyChecks = [
            Self.check(10, .diskspace, policy: 100) { $0.disk = "C:" },  // enforced: overrides agent's C:
            Self.check(11, .cpuload, policy: 200),  // not enforced: agent's cpuload wins
            Self.check(12, .memory, policy: 200),  // added
            Self.check(13, .ping, policy: 300) { $0.ip = "10.0.0.1" },  // excluded policy is not passed in
        ]
        let merged = PolicyMerge.merge(
            agentChecks: agent,
            policies: [.init(id: 200, enforced: false), .init(id: 100, enforced: true), .init(id: 200, enforced: false)],
            policyChecks: policyChecks, plat: "windows")
        #expect(merged.checks.map(\.id) == [2, 3, 10, 12])
        #expect(merged.overridden == [1])
        // Linux: Windows-only kinds are not merged, and such policy checks do not apply.
        let linux = PolicyMerge.merge(
            agentChecks: agent, policies: [.init(id: 100, enforced: true), .init(id: 200, enforced: false)], policyChecks: policyChecks,
            plat: "linux")
        #expect(linux.checks.map(\.id) == [1, 2, 3])
    }

    @Test func input_validatesAsTacticalRMM() throws {
        func problem(_ type: CheckType, _ edit: (inout CheckDefinition) -> Void) -> String? {
            var c = CheckDefinition(checkType: type)
            edit(&c)
            return CheckInput.problem(c)
        }
        #expect(
            problem(.diskspace) {
                $0.disk = "C:"; $0.warning_threshold = 10; $0.error_threshold = 20
            } == "Warning threshold must be greater than Error Threshold")
        #expect(problem(.diskspace) { $0.disk = "C:" } == "Warning threshold or Error Threshold must be set")
        #expect(
            problem(.diskspace) {
                $0.disk = "C:"; $0.warning_threshold = 25; $0.error_threshold = 10
            } == nil)
        #expect(
            problem(.cpuload) {
                $0.warning_threshold = 90; $0.error_threshold = 70
            } == "Warning threshold must be less than Error Threshold")
        #expect(problem(.memory) { $0.warning_threshold = 70 } == nil)
        #expect(problem(.ping) { $0.ip = " " } == "Hostname or IP must be set")
        #expect(problem(.script) { _ in } == "A script must be set")
        #expect(problem(.script) { $0.script = ScriptBody(code: "x", shell: "zsh") } == "Unknown shell zsh")
        #expect(problem(.winsvc) { _ in } == "A service name must be set")
        #expect(problem(.eventlog) { $0.log_name = .Application } == "An event ID must be set, or event_id_is_wildcard")
        #expect(
            problem(.ping) {
                $0.ip = "1.1.1.1"; $0.fails_b4_alert = 0
            } == "fails_b4_alert must be 1 or more")

        let input = try JSONDecoder().decode(
            CheckInput.self, from: Data(#"{"check_type":"script","script":{"code":"exit 0","shell":"shell","name":"probe"}}"#.utf8))
        let applied = input.applied(to: CheckDefinition(checkType: .script))
        #expect(applied.timeout == 120 && applied.name == "probe")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(CheckInput.self, from: Data(#"{"fails_b4_alert":"3"}"#.utf8)) }
        let existing = [Self.check(1, .diskspace) { $0.disk = "C:" }, Self.check(2, .memory)]
        #expect(
            CheckInput.duplicate(Self.check(0, .diskspace) { $0.disk = "C:" }, existing: existing)
                == "A disk check for Drive C: already exists!")
        #expect(CheckInput.duplicate(Self.check(0, .memory), existing: existing) != nil)
        #expect(CheckInput.duplicate(Self.check(0, .cpuload), existing: existing) == nil)
    }
}
