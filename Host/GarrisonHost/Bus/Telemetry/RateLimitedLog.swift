import Logging
import NIOConcurrencyHelpers

/// A warning that may fire for every bad message from the bus: logged at most once per
/// interval, with how many were suppressed since, so a flood of garbage cannot flood the log.
final class RateLimitedLog: Sendable {
    private struct State {
        var last: ContinuousClock.Instant?
        var suppressed = 0
    }
    private let state = NIOLockedValueBox(State())
    private let interval: Duration
    private let logger: Logger

    init(logger: Logger, interval: Duration = .seconds(10)) {
        self.logger = logger
        self.interval = interval
    }

    func warning(_ message: @autoclosure () -> Logger.Message, metadata: Logger.Metadata = [:]) {
        let now = ContinuousClock.now
        let suppressed: Int? = state.withLockedValue { state in
            if let last = state.last, last.duration(to: now) < interval {
                state.suppressed += 1
                return nil
            }
            defer { state.last = now; state.suppressed = 0 }
            return state.suppressed
        }
        guard let suppressed else { return }
        var metadata = metadata
        if suppressed > 0 { metadata["suppressed_since_last"] = "\(suppressed)" }
        logger.warning(message(), metadata: metadata)
    }
}
