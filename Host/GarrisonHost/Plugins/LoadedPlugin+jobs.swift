import CGarrisonPlugin
import Foundation

/// register_job_kind, job_complete, schedule_upsert, schedule_cancel. The scheduler comes in a
/// later issue: kinds are recorded (listed, claimed host-wide, rolled back, free_fn called)
/// and the calls that need the scheduler check their arguments, then answer UNSUPPORTED.
extension LoadedPlugin {
    func registerJobKind(
        kind: garrison_bytes, fn: garrison_job_fn?, user: UnsafeMutableRawPointer?, freeFn: garrison_free_fn?,
        out: UnsafeMutablePointer<garrison_reg>?
    ) -> Int32 {
        out?.pointee = 0
        guard isRegistering else { return refuse(GARRISON_ERR_PHASE, "register_job_kind outside plugin_init") }
        guard let text = kind.string, !text.isEmpty else { return refuse(GARRISON_ERR_INVALID, "register_job_kind: empty kind") }
        guard let fn else { return refuse(GARRISON_ERR_INVALID, "register_job_kind \(text): fn is NULL") }
        if let holder = services.claims.owner(of: text, .jobKind), holder != name {
            return refuse(GARRISON_ERR_CONFLICT, "register_job_kind: \(text) belongs to plugin \(holder)")
        }
        let entry = PluginRegistrations.Named(
            id: PluginRegistrations.nextID(), name: text, callback: PluginCallback(function: fn, user: PluginUserData(pointer: user)))
        let code = registering("register_job_kind") { registrations in
            if registrations.jobKinds.contains(where: { $0.name == text }) {
                return .refused(GARRISON_ERR_CONFLICT, "register_job_kind: \(text) is already registered")
            }
            registrations.jobKinds.append(entry)
            registrations.addDestructor(freeFn, user)
            return .registered
        }
        if code == GARRISON_OK { out?.pointee = entry.id }
        return code
    }

    static func jobComplete(_ job: OpaquePointer?, status: Int32, result: garrison_bytes) -> Int32 {
        guard let job = PluginJob.from(job) else { return GARRISON_ERR_INVALID }
        return job.complete(status: status, result: result)
    }

    /// The host-wide name of one of this plugin's job kinds or schedules: "<plugin>:<name>".
    func qualified(_ local: String) -> String { "\(name):\(local)" }

    /// Puts this plugin's job kinds into the scheduler once the plugin serves.
    func registerJobHandlers(_ kinds: [PluginRegistrations.Named<garrison_job_fn>]) throws(SchedulerError) {
        guard let jobs = services.jobs else { return }
        for entry in kinds {
            let callback = entry.callback
            let local = entry.name
            try jobs.register(kind: qualified(local), owner: name) { [self] run in await runJob(run, callback: callback, localKind: local) }
        }
    }

    private func runJob(_ run: JobRun, callback: PluginCallback<garrison_job_fn>, localKind: String) async -> JobOutcome {
        guard enter(.dispatch) else { return .failed("plugin \(name) is not serving; the run will be retried") }
        defer { exit() }
        let job = PluginJob(host: self, run: run)
        let status = job.invoke(callback, localKind: localKind)
        if status == GARRISON_PENDING {
            let held = withState { state -> Bool in
                guard state.instance.acceptsServiceCalls else { return false }
                state.openAnswers[ObjectIdentifier(job)] = job
                return true
            }
            if !held { job.answer.cancel() }
            switch await job.answer.wait() {
            case .answered(let outcome): forget(job); return outcome
            case .timedOut, .cancelled: return .failed("plugin \(name) was disabled before the job completed")
            }
        }
        if let outcome = job.answer.collect() { return outcome }
        return .failed("job function returned \(PluginABI.statusName(status)) without job_complete")
    }

    func scheduleUpsert(
        _ scheduleJSON: garrison_bytes, done: garrison_done_fn?, user: UnsafeMutableRawPointer?, cancelOut: UnsafeMutablePointer<UInt64>?
    ) -> Int32 {
        cancelOut?.pointee = 0
        guard let done, !scheduleJSON.isMalformed, let value = try? JSON.parse(scheduleJSON.data), var fields = value.objectValue else {
            return GARRISON_ERR_INVALID
        }
        guard withState({ $0.instance.acceptsServiceCalls }) else { return GARRISON_ERR_PHASE }
        guard let store = services.schedules else { return GARRISON_ERR_UNAVAILABLE }
        // A plugin names its own kinds and schedules; the host keeps them apart from others'.
        guard let kind = fields["kind"]?.stringValue, withState({ $0.registrations.jobKinds.contains { $0.name == kind } }) else {
            return GARRISON_ERR_NOT_FOUND
        }
        guard let id = fields["id"]?.stringValue, !id.isEmpty else { return GARRISON_ERR_INVALID }
        fields["kind"] = .string(qualified(kind))
        fields["id"] = .string(qualified(id))
        // The header's short forms, for C plugins.
        if fields["schedule"] == nil {
            if let cron = fields["cron"] {
                fields["schedule"] = ["type": "cron", "expr": cron]
            } else if let every = fields["every_s"] {
                fields["schedule"] = ["type": "interval", "seconds": every]
            } else if let at = fields["at"] {
                fields["schedule"] = ["type": "once", "at": at]
            }
        }
        let definition: ScheduleDefinition
        do { definition = try ScheduleDefinition.parse(.object(fields), owner: name) } catch {
            logger.notice("schedule_upsert refused: \(error)")
            return GARRISON_ERR_INVALID
        }
        let qualifiedID = qualified(id)
        return startAsync(done: done, user: user, cancelOut: cancelOut) {
            try await store.upsert(definition)
            let next = try await store.nextRun(id: qualifiedID)
            return ["id": .string(id), "next_run": .init(next)]
        }
    }

    func scheduleCancel(
        _ scheduleID: garrison_bytes, done: garrison_done_fn?, user: UnsafeMutableRawPointer?, cancelOut: UnsafeMutablePointer<UInt64>?
    ) -> Int32 {
        cancelOut?.pointee = 0
        guard let done, let id = scheduleID.string, !id.isEmpty else { return GARRISON_ERR_INVALID }
        guard withState({ $0.instance.acceptsServiceCalls }) else { return GARRISON_ERR_PHASE }
        guard let store = services.schedules else { return GARRISON_ERR_UNAVAILABLE }
        let qualifiedID = qualified(id)
        let owner = name
        return startAsync(done: done, user: user, cancelOut: cancelOut) {
            guard try await store.cancel(id: qualifiedID, owner: owner) else {
                throw PluginAsyncError(GARRISON_ERR_NOT_FOUND, "no schedule \(id)")
            }
            return ["id": .string(id), "cancelled": true]
        }
    }
}

/// An async host service's failure with the status its done callback gets.
struct PluginAsyncError: Error {
    let status: Int32
    let message: String
    init(_ status: Int32, _ message: String) {
        self.status = status
        self.message = message
    }
}

extension LoadedPlugin {
    /// Starts `body` as a cancellable operation whose result (JSON) or error reaches `done`.
    func startAsync(
        done: garrison_done_fn, user: UnsafeMutableRawPointer?, cancelOut: UnsafeMutablePointer<UInt64>?,
        _ body: @escaping @Sendable () async throws -> JSON
    ) -> Int32 {
        guard let operation = startOperation(done: done, user: user) else { return GARRISON_ERR_PHASE }
        cancelOut?.pointee = operation.token
        Task {
            do {
                operation.complete(GARRISON_OK, try await body().databaseText)
            } catch let error as PluginAsyncError {
                operation.complete(error.status, error.message)
            } catch let error as DatabaseError {
                operation.complete(Self.status(for: error), "\(error)")
            } catch {
                operation.complete(GARRISON_ERR_INTERNAL, "\(error)")
            }
        }
        return GARRISON_OK
    }
}
