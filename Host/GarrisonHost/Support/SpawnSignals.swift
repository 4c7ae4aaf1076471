import Foundation

/// Children start with no signal blocked and every signal at its default. Threads of this
/// process (the Swift runtime's, NIO's, libnats') run with signals blocked, and posix_spawn
/// passes the calling thread's mask on: without this a child ignores SIGTERM and can only be
/// stopped with SIGKILL.
public enum SpawnSignals {
    public static func reset(_ attributes: inout posix_spawnattr_t, extraFlags: Int32 = 0) {
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | extraFlags))
    }
}
