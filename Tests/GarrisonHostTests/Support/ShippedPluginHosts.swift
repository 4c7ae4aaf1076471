import Foundation
@testable import GarrisonHost

extension TestHost {
    /// A host with the agent_actions plugin, which serves the operator's agent commands (ping,
    /// cmd, reboot, processes, event log, services): the suites that drive agents through those
    /// routes run on it.
    static func withAgentActions<T: Sendable>(
        configure: (inout GarrisonConfig) -> Void = { _ in }, _ body: @Sendable (TestHost) async throws -> T
    ) async throws -> T {
        let folder = try PluginFolder.agentActions()
        defer { folder.cleanUp() }
        return try await with(configure: {
            $0.pluginsDirectory = folder.path
            configure(&$0)
        }, body)
    }
}

extension PluginFolder {
    /// A plugins.d holding only agent_actions, required.
    static func agentActions() throws -> PluginFolder {
        let folder = try PluginFolder()
        let copy = try folder.copyBuilt("libAgentActionsPlugin.so")
        try folder.write("45-agent-actions.toml", "library = \"\(copy)\"\nenabled = true\nrequired = true\n")
        return folder
    }
}

extension PluginFolder {
    /// A plugins.d holding only the software plugin, required.
    static func software() throws -> PluginFolder {
        let folder = try PluginFolder()
        let copy = try folder.copyBuilt("libSoftwarePlugin.so")
        try folder.write("46-software.toml", "library = \"\(copy)\"\nenabled = true\nrequired = true\n")
        return folder
    }
}
