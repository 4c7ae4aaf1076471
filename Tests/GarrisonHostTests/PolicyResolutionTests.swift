import Testing
@testable import GarrisonHost

/// Which policies reach an agent (docs/compatibility.md §2.3), as a table over the chain's slots,
/// blocks, exclusions and inactive policies.
@Suite struct PolicyResolutionTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let name: String
        let edit: @Sendable (inout PolicyResolution.Chain, inout [Int: PolicyResolution.Policy]) -> Void
        let expected: [Int]
        var testDescription: String { name }
    }

    static func base() -> (PolicyResolution.Chain, [Int: PolicyResolution.Policy]) {
        var chain = PolicyResolution.Chain(agentPK: 7, siteID: 20, clientID: 30)
        chain.agentPolicy = 1
        chain.sitePolicy = 2
        chain.clientPolicy = 3
        chain.defaultPolicy = 4
        var policies: [Int: PolicyResolution.Policy] = [:]
        for id in 1...4 { policies[id] = PolicyResolution.Policy(id: id) }
        return (chain, policies)
    }

    static let rows: [Row] = [
        Row(name: "all four, agent first", edit: { _, _ in }, expected: [1, 2, 3, 4]),
        Row(name: "agent blocks inheritance", edit: { c, _ in c.agentBlocks = true }, expected: [1]),
        Row(name: "site blocks client and default", edit: { c, _ in c.siteBlocks = true }, expected: [1, 2]),
        Row(name: "client blocks the default", edit: { c, _ in c.clientBlocks = true }, expected: [1, 2, 3]),
        Row(name: "excluded agent", edit: { _, p in p[2]!.excludedAgents = [7] }, expected: [1, 3, 4]),
        Row(name: "excluded site", edit: { _, p in p[3]!.excludedSites = [20] }, expected: [1, 2, 4]),
        Row(name: "excluded client", edit: { _, p in p[1]!.excludedClients = [30] }, expected: [2, 3, 4]),
        Row(name: "exclusion of another agent", edit: { _, p in p[1]!.excludedAgents = [8] }, expected: [1, 2, 3, 4]),
        Row(name: "inactive skipped", edit: { _, p in p[4]!.active = false }, expected: [1, 2, 3]),
        Row(name: "same policy twice counts once", edit: { c, _ in c.clientPolicy = 1 }, expected: [1, 2, 4]),
        Row(
            name: "empty slots",
            edit: { c, _ in
                c.agentPolicy = nil; c.sitePolicy = nil
            }, expected: [3, 4]),
        Row(name: "unknown (deleted) policy", edit: { _, p in p[2] = nil }, expected: [1, 3, 4]),
    ]

    @Test(arguments: rows)
    func resolve(_ row: Row) {
        var (chain, policies) = Self.base()
        row.edit(&chain, &policies)
        #expect(PolicyResolution.resolve(chain, policies: policies).map(\.id) == row.expected)
    }

    @Test func sourcesAndEnforcedAreReported() {
        var (chain, policies) = Self.base()
        policies[3]!.enforced = true
        let applied = PolicyResolution.resolve(chain, policies: policies)
        #expect(applied.map(\.source) == [.agent, .site, .client, .default])
        #expect(applied.map(\.enforced) == [false, false, true, false])
        chain.agentPolicy = nil
        #expect(PolicyResolution.resolve(chain, policies: policies).first?.source == .site)
    }
}
