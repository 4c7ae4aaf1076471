import Foundation

/// The private PostgreSQL is restarted in place when it dies without being asked to (killed,
/// OOM-killed, crashed): the host keeps its listener, its nats-server and its agents, and
/// the pool's connections reconnect on their next use (PGConnection.resetIfBroken).
/// PostgreSQL's own crash recovery replays the WAL on the restart, so every commit that was
/// flushed is kept. Restarting beats exiting the host: an exit would drop every agent and
/// operator connection and needs a service manager that a plain `garrison serve` may not have.
/// If the cluster cannot be started again after `restartAttempts`, the host exits with the
/// reason, for a service manager (or a person) to take over: a host without its database
/// would only answer 503 forever.
extension EmbeddedPostgres {
    static let restartAttempts = 5

    struct Supervision: Sendable {
        var stopped = false
        /// One restart loop at a time: a postmaster that dies while the loop starts it is the
        /// loop's next attempt, not a second loop.
        var restarting = false
    }

    func restartAfterCrash(of crashed: pid_t, _ binaries: PostgresBinaries, owner: (uid: uid_t, gid: gid_t)?, lock: DataFolderLock) {
        let begin = supervision.withLockedValue { state -> Bool in
            guard !state.stopped, !state.restarting else { return false }
            state.restarting = true
            return true
        }
        guard begin else { return }
        let thread = Thread { [self] in
            defer { supervision.withLockedValue { $0.restarting = false } }
            var lastError = ""
            for attempt in 1...Self.restartAttempts {
                // stop() ran meanwhile (the host is shutting down): nothing to restart.
                if supervision.withLockedValue({ $0.stopped }) { return }
                do {
                    // The dead postmaster's backends exit on their own when they notice it is
                    // gone; until they do they hold its shared memory, and a new postmaster
                    // refuses to start beside them.
                    try stopLeftovers()
                    try launch(binaries, owner: owner, lock: lock)
                    if supervision.withLockedValue({ $0.stopped }) { stop(); return }
                    logger.warning(
                        "embedded PostgreSQL restarted after it died",
                        metadata: ["crashed": "\(crashed)", "pid": "\(serverPID ?? 0)", "attempt": "\(attempt)"])
                    return
                } catch {
                    lastError = "\(error)"
                    logger.error("restarting embedded PostgreSQL failed", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                    sleep(UInt32(min(attempt, 5)))
                }
            }
            if supervision.withLockedValue({ $0.stopped }) { return }
            logger.critical(
                "embedded PostgreSQL could not be restarted after \(Self.restartAttempts) attempts; the host exits so that its service manager starts it again. Last error: \(lastError). See \(logFile.path)."
            )
            exit(70)
        }
        thread.name = "garrison-postgres-restart"
        thread.start()
    }
}
