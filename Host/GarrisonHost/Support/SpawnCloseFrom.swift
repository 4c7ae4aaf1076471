import Foundation

/// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which Swift's Glibc module does
/// not import: looked up once at run time. Children spawned with it inherit no descriptor
/// above stderr -- otherwise a pipe another thread just opened (Foundation's Process, for
/// one) stays open in a long-lived server such as PostgreSQL or nats-server, and that
/// pipe's reader never sees its end.
public enum SpawnCloseFrom {
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    nonisolated(unsafe) private static let function: AddCloseFrom? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// Adds "close every descriptor from `lowest` on" to `actions`, where glibc has it.
    public static func add(_ actions: inout posix_spawn_file_actions_t, from lowest: Int32 = 3) {
        guard let function else { return }
        _ = function(&actions, lowest)
    }
}
