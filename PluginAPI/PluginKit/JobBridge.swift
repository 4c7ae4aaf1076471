import CGarrisonPlugin
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One run of a scheduled job.
public struct JobRun: Sendable {
    public let kind: String
    public let scheduleID: String
    /// The same across retries of this run.
    public let runID: String
    public let payload: JSON
    /// Empty when the schedule has no agent.
    public let agentID: String
    /// 1 for the first try.
    public let attempt: Int
}

/// The handler's result, kept with the run's history; nil records none.
public typealias JobHandler = @Sendable (JobRun) async throws -> JSON?

final class JobBox: RegistrationBox, @unchecked Sendable {
    let kind: String
    let handler: JobHandler

    init(host: PluginHost, kind: String, handler: @escaping JobHandler) {
        self.kind = kind
        self.handler = handler
        super.init(host: host)
    }

    /// Runs the handler and calls job_complete once: OK with its result, or
    /// the error's status (ERR_INTERNAL for non-PluginErrors), which lets
    /// the schedule's retry policy decide.
    func run(_ run: JobRun, _ job: OpaquePointer) async {
        var status = GARRISON_OK
        var result = Data()
        do {
            if let value = try await handler(run) { result = try JSONCoding.encode(value) }
        } catch {
            host.log(.error, "job \(kind) run \(run.runID) attempt \(run.attempt) failed: \(error)")
            status = (error as? PluginError)?.status.rawValue ?? GARRISON_ERR_INTERNAL
            if status >= 0 { status = GARRISON_ERR_INTERNAL }  // job_complete wants OK or < 0
            result = (try? JSONCoding.encode(["error": "\(error)"])) ?? Data()
        }
        let complete = host.api.required(\.job_complete)
        let rc = host.gate.pass {
            result.withGarrisonBytes { complete(job, status, $0) }
        }
        if let rc, rc != GARRISON_OK {
            host.log(.notice, "job \(kind) run \(run.runID): result dropped (\(PluginStatus(rawValue: rc)))")
        }
    }
}

/// garrison_job_fn: copies the run, finishes it from a Task.
func pluginKitJob(
    _ user: UnsafeMutableRawPointer?, _ run: UnsafePointer<garrison_job_run>?, _ job: OpaquePointer?
) -> Int32 {
    guard let user, let run, let job else { return GARRISON_ERR_INVALID }
    let box = Unmanaged<JobBox>.fromOpaque(user).takeUnretainedValue()
    let r = run.pointee
    let copy = JobRun(
        kind: r.kind.string, scheduleID: r.schedule_id.string, runID: r.run_id.string,
        payload: (try? JSON(parsing: r.payload_json.data)) ?? .null,
        agentID: r.agent_id.string, attempt: Int(r.attempt))
    let handle = JobHandle(job)
    Task { await box.run(copy, handle.job) }
    return GARRISON_PENDING
}

/// Carries a garrison_job* into the Task; the host lets any thread finish it.
struct JobHandle: @unchecked Sendable {
    let job: OpaquePointer
    init(_ job: OpaquePointer) { self.job = job }
}

extension Registrar {
    /// Handles scheduled jobs of `kind` ("hello-swift.report"). Create
    /// schedules with `PluginHost.upsertSchedule` once running.
    public func jobKind(_ kind: String, handler: @escaping JobHandler) throws {
        try ensureOpen("register_job_kind \(kind)")
        let registerJobKind = host.api.required(\.register_job_kind)
        let handle = host.handle
        try register("register_job_kind \(kind)", JobBox(host: host, kind: kind, handler: handler)) { user in
            kind.withGarrisonBytes {
                registerJobKind(handle, $0, pluginKitJob, user, pluginKitFree, nil)
            }
        }
    }
}
