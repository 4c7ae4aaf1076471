import CGarrisonPlugin
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// One loaded plugin: the object a `garrison_host*` points to. It carries the plugin's
/// identity, its lifecycle (a `PluginInstance` behind a lock), what it registered, and its
/// pending work. Dispatch files extend it: `LoadedPlugin+routes.swift`, `+database`, `+events`...
final class LoadedPlugin: Sendable {
    struct Mutable: Sendable {
        var instance = PluginInstance()
        var registrations = PluginRegistrations()
        /// Pending async host services (db_query, core_get), by cancel token.
        var operations: [UInt64: PluginOperation] = [:]
        /// Calls and auth questions the plugin answered GARRISON_PENDING to and has not answered
        /// yet. Held here so their handles stay valid until plugin_shutdown returns.
        var openAnswers: [ObjectIdentifier: any PluginAnswerHolder] = [:]
        var drainWaiter: CheckedContinuation<Void, Never>?
        var pluginState = PluginUserData(pointer: nil)
        var loadMilliseconds: Double?
    }

    let descriptor: PluginDescriptor
    let file: PluginFile
    let services: PluginServices
    let logger: Logger
    /// The [settings] JSON at a fixed address: settings() hands out a borrowed pointer to it.
    let settings: PinnedBytes
    private let mutable = NIOLockedValueBox(Mutable())
    /// The plugin's own connections, logged in as its role (set by applyMigrations, closed
    /// when it stops): LoadedPlugin+database.swift.
    let databasePool = NIOLockedValueBox<DatabasePool?>(nil)

    var name: String { descriptor.name }

    /// Creates the box and retains it for the life of the process: a plugin that calls the
    /// host after plugin_shutdown (a bug) then gets GARRISON_ERR_PHASE, not freed memory.
    static func make(descriptor: PluginDescriptor, file: PluginFile, services: PluginServices) -> LoadedPlugin {
        let host = LoadedPlugin(descriptor: descriptor, file: file, services: services)
        _ = Unmanaged.passRetained(host)
        return host
    }

    private init(descriptor: PluginDescriptor, file: PluginFile, services: PluginServices) {
        self.descriptor = descriptor
        self.file = file
        self.services = services
        var logger = services.logger
        logger[metadataKey: "plugin"] = "\(descriptor.name)"
        self.logger = logger
        self.settings = PinnedBytes(PluginSettingsVariables.expand(file.settingsJSON, dataDirectory: services.dataDirectory))
    }

    /// The `garrison_host*` given to the plugin.
    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> LoadedPlugin? {
        guard let handle else { return nil }
        return Unmanaged<LoadedPlugin>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    func withState<T>(_ body: (inout Mutable) -> T) -> T { mutable.withLockedValue(body) }

    var instance: PluginInstance { withState { $0.instance } }

    // MARK: in-flight accounting

    /// Counts plugin code about to run; false when the plugin may not be called now.
    func enter(_ entry: PluginInstance.Entry) -> Bool {
        withState { $0.instance.enter(entry) }
    }

    func exit() {
        let waiter = withState { state -> CheckedContinuation<Void, Never>? in
            guard state.instance.exit() == .drained else { return nil }
            defer { state.drainWaiter = nil }
            return state.drainWaiter
        }
        waiter?.resume()
    }

    /// Waits until nothing of the plugin runs, or `timeout` passes. Returns whether it is idle.
    @discardableResult
    func waitUntilIdle(timeout: Duration) async -> Bool {
        let timer = Task { [self] in
            // Cancelled means the wait ended first: resuming now would end a later wait.
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            let waiter = withState { state -> CheckedContinuation<Void, Never>? in
                defer { state.drainWaiter = nil }
                return state.drainWaiter
            }
            waiter?.resume()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = withState { state -> Bool in
                if state.instance.inFlight == 0 { return true }
                state.drainWaiter = continuation
                return false
            }
            if idle { continuation.resume() }
        }
        timer.cancel()
        return withState { $0.instance.inFlight == 0 }
    }

    // MARK: lifecycle steps the registry drives

    /// Step 2: plugin_init, on the registry's lifecycle thread. On success the plugin may use
    /// host services from this moment (a thread it started may already be calling).
    func runInit() -> Int32 {
        var state: UnsafeMutableRawPointer?
        let status = descriptor.initFunction(HostAPITable.pointer, handle, &state)
        withState {
            $0.pluginState = PluginUserData(pointer: state)
            if status == GARRISON_OK { $0.instance.initFinished(succeeded: true) }
        }
        return status
    }

    /// After a failed plugin_init: drop every registration and call its free_fn. No
    /// plugin_shutdown (LIFECYCLE step 2).
    func rollBackInit(reason: String) {
        let destructors = withState { state -> [PluginCallback<garrison_free_fn?>] in
            state.instance.initFinished(succeeded: false, reason: reason)
            return state.registrations.takeDestructors()
        }
        Self.runDestructors(destructors)
    }

    /// Steps 5a to 5e of the header. `blocking` runs plugin_shutdown and the destructors on
    /// the registry's lifecycle thread. Returns at once if the plugin is not serving.
    func stop(reason: String, afterFailedStart: Bool = false, blocking: NIOThreadPool) async {
        let action = withState { state -> PluginInstance.DisableAction in
            afterFailedStart ? state.instance.startFailed(reason: reason) : state.instance.beginDisable(reason: reason)
        }
        guard case .drain(let needsWait) = action else { return }
        // a. stop routing
        services.dispatcher.unregister(owner: name)
        services.jobs?.remove(owner: name)
        services.agentMembers.remove(owner: name)
        services.events.unsubscribe(owner: name)
        services.commander?.router.remove(owner: name)
        // The auth hook stays registered until the plugin has stopped: meanwhile it answers
        // "unavailable", which denies the users it guards instead of letting passwords alone in.
        // b. drain
        if needsWait, !(await waitUntilIdle(timeout: services.drainTimeout)) {
            logger.warning(
                "plugin still busy after the drain deadline; cancelling its calls", metadata: ["deadline": "\(services.drainTimeout)"])
        }
        // c. cancel: open calls get the host's answer, pending operations GARRISON_ERR_CANCELLED
        let (answers, operations) = withState { state -> ([any PluginAnswerHolder], [PluginOperation]) in
            state.instance.beginStopping()
            defer { state.operations = [:] }
            return (Array(state.openAnswers.values), Array(state.operations.values))
        }
        for answer in answers { answer.cancelByHost() }
        for operation in operations { operation.cancel("plugin \(name) is being disabled") }
        await waitUntilIdle(timeout: services.drainTimeout)
        // d. plugin_shutdown, e. destructors
        let shutdown = descriptor.shutdownFunction
        let (pluginState, destructors) = withState { ($0.pluginState, $0.registrations.takeDestructors()) }
        _ = try? await blocking.runIfActive {
            shutdown?(pluginState.pointer)
            Self.runDestructors(destructors)
        }
        services.claims.release(owner: name)
        services.loginHooks.remove(owner: name)
        withState { state in
            state.instance.stopped()
            state.openAnswers = [:]
        }
        let pool = databasePool.withLockedValue { pool -> DatabasePool? in
            let current = pool
            pool = nil
            return current
        }
        await pool?.close()
    }

    /// Step 4: make the registrations visible -- host-wide names, routes, subscriptions,
    /// auth hooks -- and start dispatching. Throws the reason if something became taken
    /// since plugin_init (nothing is left registered then).
    func startServing() throws(PluginLoadError) {
        let registrations = withState { $0.registrations }
        let names =
            registrations.jobKinds.map { (PluginClaims.Kind.jobKind, $0.name) }
            + registrations.agentHandlers.map { (PluginClaims.Kind.agentTag, $0.name) }
        if let (kind, claimed, holder) = services.claims.claim(names, owner: name) {
            throw PluginLoadError(.routeConflict, subject, "its \(kind.rawValue) \(claimed) is taken by plugin \(holder)")
        }
        do {
            try services.dispatcher.register(dispatcherRoutes(registrations.routes))
        } catch {
            services.claims.release(owner: name)
            throw PluginLoadError(.routeConflict, subject, "\(error)")
        }
        do {
            try registerJobHandlers(registrations.jobKinds)
        } catch {
            services.dispatcher.unregister(owner: name)
            services.jobs?.remove(owner: name)
            services.claims.release(owner: name)
            throw PluginLoadError(.routeConflict, subject, "\(error)")
        }
        do {
            try commitAgentMembers(registrations.agentMembers)
        } catch {
            services.dispatcher.unregister(owner: name)
            services.jobs?.remove(owner: name)
            services.claims.release(owner: name)
            throw error
        }
        commitSubscriptions(registrations.subscriptions)
        commitAgentHandlers(registrations.agentHandlers)
        for hook in registrations.authHooks {
            services.loginHooks.add(owner: name, PluginLoginHook(host: self, callback: hook.callback))
        }
        withState { $0.instance.startedServing() }
    }

    /// The plugin as a load error names it.
    var subject: PluginLoadError.Subject {
        .init(file: file.path, library: file.library, name: name, version: descriptor.version, pluginABI: descriptor.abi)
    }

    private static func runDestructors(_ destructors: [PluginCallback<garrison_free_fn?>]) {
        for destructor in destructors { destructor.function?(destructor.user.pointer) }
    }

    // MARK: registrations

    enum RegistrationOutcome {
        case registered
        case refused(Int32, String)
    }

    /// Runs `body` if the plugin is inside plugin_init, GARRISON_ERR_PHASE otherwise. A
    /// refusal is logged and remembered for the init failure message.
    func registering(_ what: String, _ body: (inout PluginRegistrations) -> RegistrationOutcome) -> Int32 {
        let outcome = withState { state -> RegistrationOutcome in
            guard state.instance.acceptsRegistrations else {
                return .refused(GARRISON_ERR_PHASE, "\(what) outside plugin_init")
            }
            return body(&state.registrations)
        }
        switch outcome {
        case .registered:
            return GARRISON_OK
        case .refused(let code, let why):
            return refuse(code, why)
        }
    }

    /// Logs why a registration was refused and remembers it for the init failure message.
    func refuse(_ code: Int32, _ why: String) -> Int32 {
        // Debug only: if init fails because of it, the one failure line quotes it.
        logger.debug("registration refused: \(why)", metadata: ["code": "\(PluginABI.statusName(code))"])
        withState { $0.registrations.lastRefusal = why }
        return code
    }

    /// Whether plugin_init is running; validation happens outside the lock, then `registering`.
    var isRegistering: Bool { withState { $0.instance.acceptsRegistrations } }
}
