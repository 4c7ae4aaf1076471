import Foundation
import GarrisonHost

/// Starting a benchmark's peer (`garrison serve`, nginx, the MeshCentral stand-in) with
/// posix_spawn, not Foundation's Process: stdin from /dev/null, stdout and stderr into `log`
/// (truncated), nothing else of this process inherited (a surviving child would hold it
/// open), default signal handling and an empty mask whatever this process's threads have.
enum BenchSpawn {
    static func start(
        _ executable: String, _ arguments: [String], log: String, name: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        SpawnCloseFrom.add(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        SpawnSignals.reset(&attributes)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let env: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; env.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, env)
        guard status == 0 else { throw BenchError("cannot start \(name): \(String(cString: strerror(status)))") }
        return pid
    }
}
