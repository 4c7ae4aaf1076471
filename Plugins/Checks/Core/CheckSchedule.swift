/// When an agent runs its checks (docs/agent-protocol.md §7.5).
public enum CheckSchedule {
    /// The floor Tactical RMM puts under a check's own interval.
    public static let minimumInterval = 15
    /// `CHECK_INTERVAL_JITTER`: 1...60 s added to the interval the agent sleeps.
    public static let jitter = 1...60

    /// The agent's check interval lowered to the smallest per-check run_interval below it,
    /// never below 15 s (`Agent.check_run_interval`), without jitter.
    public static func runInterval(agentInterval: Int, checkIntervals: [Int]) -> Int {
        var interval = agentInterval
        for run in checkIntervals where run > 0 && run < interval {
            interval = max(run, minimumInterval)
        }
        return interval
    }

    /// The jittered interval `checkrunner` and `checkinterval` answer.
    public static func jittered(_ interval: Int, using generator: inout some RandomNumberGenerator) -> Int {
        interval + Int.random(in: jitter, using: &generator)
    }

    public static func jittered(_ interval: Int) -> Int {
        var g = SystemRandomNumberGenerator()
        return jittered(interval, using: &g)
    }

    /// Due: never run, or its last run older than its run_interval (the agent's
    /// check_interval when 0). `lastRun` and `now` in seconds since any fixed epoch.
    public static func isDue(lastRun: Double?, runInterval: Int, agentInterval: Int, now: Double) -> Bool {
        guard let lastRun else { return true }
        let interval = runInterval > 0 ? runInterval : agentInterval
        return lastRun < now - Double(interval)
    }
}
