import ArgumentParser

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "garrison-bench",
        abstract: "Garrison's figures. Each subcommand starts what it needs on loopback and prints its numbers.",
        subcommands: [
            HostBench.self, AgentsBench.self, AlertsBench.self, PluginBench.self, SchedulerBench.self, TwoFactorBench.self, ChecksBench.self,
            ScriptingBench.self, SlowlorisBench.self, RestartBench.self, ColdStartBench.self, BackupBench.self, DashboardBench.self,
            TLSBench.self, PatchingBench.self, MeshCentralBench.self,
        ])
}
