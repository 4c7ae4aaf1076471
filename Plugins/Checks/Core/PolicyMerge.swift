/// Which checks an agent runs: its own and those of the policies that apply to it, merged
/// as Tactical RMM's `Policy.get_policy_checks` does (docs/compatibility.md §2.3). Checks of
/// enforced policies come first, then the agent's own, then those of other policies; the
/// first check of each kind wins, and an agent check that loses is overridden by policy.
public enum PolicyMerge {
    /// One policy that applies to the agent, in precedence order (agent, site, client, default).
    public struct Policy: Sendable, Equatable {
        public let id: Int
        public let enforced: Bool
        public init(id: Int, enforced: Bool) { self.id = id; self.enforced = enforced }
    }

    public struct Result: Sendable, Equatable {
        /// The checks to run, agent checks first in their order, then policy checks.
        public var checks: [CheckDefinition]
        /// Agent checks replaced by a policy check of the same kind.
        public var overridden: Set<Int>
    }

    /// The "same kind" key: one disk, one host to ping, one CPU and one memory check, one
    /// service, one script, one event log and id. Types that only Windows runs are merged
    /// (and policy checks of them applied) only on Windows agents.
    static func key(_ check: CheckDefinition, plat: String) -> String? {
        let windows = plat == "windows"
        switch check.check_type {
        case .diskspace: return windows ? "disk:\(check.disk ?? "")" : nil
        case .ping: return "ping:\(check.ip ?? "")"
        case .cpuload: return windows ? "cpuload" : nil
        case .memory: return windows ? "memory" : nil
        case .winsvc: return windows ? "winsvc:\(check.svc_name ?? "")" : nil
        case .script:
            let script = check.script
            return
                "script:\(script?.script_hash.isEmpty == false ? script!.script_hash : (script?.name ?? "") + "\u{1}" + (script?.code ?? ""))"
        case .eventlog: return windows ? "eventlog:\(check.log_name?.rawValue ?? ""):\(check.event_id.map(String.init) ?? "")" : nil
        }
    }

    /// `policyChecks` holds the checks of every policy in `policies`; policies listed twice
    /// (the same policy at site and client) count once.
    public static func merge(agentChecks: [CheckDefinition], policies: [Policy], policyChecks: [CheckDefinition], plat: String) -> Result {
        var seenPolicies: Set<Int> = []
        var enforced: [CheckDefinition] = [], regular: [CheckDefinition] = []
        for policy in policies where seenPolicies.insert(policy.id).inserted {
            let checks = policyChecks.filter { $0.policy_id == policy.id }.sorted { $0.id < $1.id }
            if policy.enforced { enforced += checks } else { regular += checks }
        }
        var taken: Set<String> = []
        var selectedPolicy: [CheckDefinition] = []
        var overridden: Set<Int> = []
        for check in enforced + agentChecks.sorted(by: { $0.id < $1.id }) + regular {
            let isAgentCheck = check.policy_id == nil
            guard let key = key(check, plat: plat) else {
                // Not merged on this platform: the agent's own checks still run.
                continue
            }
            if taken.insert(key).inserted {
                if !isAgentCheck { selectedPolicy.append(check) }
            } else if isAgentCheck {
                overridden.insert(check.id)
            }
        }
        let own = agentChecks.filter { !overridden.contains($0.id) }.sorted { $0.id < $1.id }
        return Result(checks: own + selectedPolicy, overridden: overridden)
    }
}
