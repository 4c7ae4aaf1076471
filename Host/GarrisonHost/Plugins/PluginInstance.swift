/// One plugin's lifecycle as a plain value: the host asks it what may happen
/// next and does the I/O itself, so every transition can be tested without a library.
///
///     loading --init ok--> starting --migrated--> running --disable--> draining --> stopping --> disabled
///        |                    |                                                         ^
///        +--init failed--> failed        +--migration failed---------> stopping ---------+--> failed
struct PluginInstance: Sendable, Equatable {
    enum State: Sendable, Equatable {
        /// plugin_init is running: registrations are accepted, host services are not.
        case loading
        /// plugin_init succeeded; the schema is being migrated. Services work, nothing is dispatched.
        case starting
        case running
        /// Disabling: nothing new is dispatched; in-flight calls may finish and use services.
        case draining
        /// Cancelling pending work and calling plugin_shutdown: services answer GARRISON_ERR_PHASE.
        case stopping
        case disabled
        case failed
    }

    /// What kind of plugin code the host is about to run.
    enum Entry: Sendable {
        /// A route call, event delivery or auth question: only while running.
        case dispatch
        /// A done callback of a host service the plugin started: until the plugin is stopped.
        case completion
    }

    enum ExitAction: Sendable, Equatable {
        case none
        /// The last in-flight callback finished while draining or stopping: wake the waiter.
        case drained
    }

    enum DisableAction: Sendable, Equatable {
        /// Unroute, then wait for in-flight work (`needsWait`) up to the drain deadline.
        case drain(needsWait: Bool)
        /// Not serving (already stopping, stopped or never started): nothing to do.
        case none
    }

    private(set) var state: State = .loading
    private(set) var inFlight = 0
    /// Why the plugin stopped, for the listing.
    private(set) var reason: String?
    /// What the final state will be once stopping completes.
    private var stopsAs: State = .disabled

    var acceptsRegistrations: Bool { state == .loading }

    /// Host services (db_query, core_get, events, audit) may be used from init's return until
    /// the cancel step of disabling.
    var acceptsServiceCalls: Bool {
        switch state {
        case .starting, .running, .draining: return true
        case .loading, .stopping, .disabled, .failed: return false
        }
    }

    var isServing: Bool { state == .running }

    /// plugin_init returned. On success the host migrates; on failure it rolls back.
    mutating func initFinished(succeeded: Bool, reason: String? = nil) {
        precondition(state == .loading, "initFinished in \(state)")
        if succeeded {
            state = .starting
        } else {
            state = .failed
            self.reason = reason
        }
    }

    /// Migrations applied and registrations committed: dispatching may begin.
    mutating func startedServing() {
        precondition(state == .starting, "startedServing in \(state)")
        state = .running
    }

    /// Migrations or the commit failed after a successful init: the plugin must be shut
    /// down (cancel, plugin_shutdown, destructors) and ends as failed.
    mutating func startFailed(reason: String) -> DisableAction {
        precondition(state == .starting, "startFailed in \(state)")
        state = .draining
        stopsAs = .failed
        self.reason = reason
        return .drain(needsWait: inFlight > 0)
    }

    /// Step a of disabling: stop dispatching.
    mutating func beginDisable(reason: String) -> DisableAction {
        guard state == .running else { return .none }
        state = .draining
        stopsAs = .disabled
        self.reason = reason
        return .drain(needsWait: inFlight > 0)
    }

    /// Step c: draining is over (or its deadline passed); services close now.
    mutating func beginStopping() {
        precondition(state == .draining, "beginStopping in \(state)")
        state = .stopping
    }

    /// Steps d and e are done: plugin_shutdown returned and destructors ran.
    mutating func stopped() {
        precondition(state == .stopping, "stopped in \(state)")
        state = stopsAs
    }

    /// Whether plugin code may run now; counts it in flight when it may.
    mutating func enter(_ entry: Entry) -> Bool {
        switch (entry, state) {
        case (.dispatch, .running), (.completion, .starting), (.completion, .running), (.completion, .draining), (.completion, .stopping):
            inFlight += 1
            return true
        default:
            return false
        }
    }

    mutating func exit() -> ExitAction {
        precondition(inFlight > 0, "exit without enter")
        inFlight -= 1
        if inFlight == 0 && (state == .draining || state == .stopping) { return .drained }
        return .none
    }
}
