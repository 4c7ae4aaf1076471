#if canImport(Glibc)
    import Glibc
#endif

/// The open-file limit, here because both ends of thousands of agent connections need it
/// raised: the host and the agent emulator. Every agent at /natsws holds two descriptors in the host (its TLS
/// socket and the one to nats-server) and one in nats-server, which inherits the host's
/// limit; the usual soft limit of 1024 would stop at ~500 agents.
public enum FileLimit {
    /// Raises the soft limit to the hard one (what an unprivileged process may do) and
    /// returns the limit now in force. Raising the hard limit itself takes root with
    /// CAP_SYS_RESOURCE, or LimitNOFILE= in the service unit.
    @discardableResult
    public static func raiseToHard() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }
}
