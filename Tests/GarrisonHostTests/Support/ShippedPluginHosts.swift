import Foundation
@testable import GarrisonHost

extension TestHost {
    /// A host with the agent_actions plugin, which serves the operator's agent commands (ping,
    /// cmd, reboot, processes, event log, services): the suites that drive agents through those
    /// routes run on it.
    static func withAgentActions<T: Sendable>(
        configure: (inout GarrisonConfig) -> Void = { _ in }, _ body: @Sendable (TestHost) async throws -> T
    ) async throws -> T {
        try await with(only: try PluginFolder.agentActions(), bus: false, configure: configure, body)
    }

    /// A host whose plugins.d is `folder` (removed afterwards), with the agent bus unless `bus`
    /// is false.
    static func with<T: Sendable>(
        only folder: PluginFolder, bus: Bool = true, configure: (inout GarrisonConfig) -> Void = { _ in },
        _ body: @Sendable (TestHost) async throws -> T
    ) async throws -> T {
        defer { folder.cleanUp() }
        return try await with(configure: {
            $0.pluginsDirectory = folder.path
            $0.natsEnabled = bus
            configure(&$0)
        }, body)
    }
}

extension PluginFolder {
    /// A plugins.d holding only agent_actions, required.
    static func agentActions() throws -> PluginFolder { try only("libAgentActionsPlugin.so", as: "45-agent-actions.toml") }

    /// A plugins.d holding only the software plugin, required.
    static func software() throws -> PluginFolder { try only("libSoftwarePlugin.so", as: "46-software.toml") }

    /// A plugins.d holding one shipped plugin's library (built beside the tests), required.
    static func only(_ library: String, as file: String) throws -> PluginFolder {
        let folder = try PluginFolder()
        let copy = try folder.copyBuilt(library)
        try folder.write(file, "library = \"\(copy)\"\nenabled = true\nrequired = true\n")
        return folder
    }
}
