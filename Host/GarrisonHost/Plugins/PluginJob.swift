import CGarrisonPlugin
import Foundation

/// One run of a plugin's job kind: the `garrison_job*` the plugin completes through. Like a
/// route call it lives while the job function runs and, after GARRISON_PENDING, until the
/// plugin calls job_complete or is disabled.
final class PluginJob: PluginAnswerHolder {
    let host: LoadedPlugin
    let run: JobRun
    let answer = PluginAnswer<JobOutcome>()

    init(host: LoadedPlugin, run: JobRun) {
        self.host = host
        self.run = run
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> PluginJob? {
        guard let handle else { return nil }
        return Unmanaged<PluginJob>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    func cancelByHost() { answer.cancel() }

    /// Calls the job function with a `garrison_job_run` whose bytes live until it returns.
    /// The kind is the plugin's own name for it, without the host's prefix.
    func invoke(_ callback: PluginCallback<garrison_job_fn>, localKind: String) -> Int32 {
        let fields = [
            localKind, run.scheduleID.map { String($0.dropFirst(host.name.count + 1)) } ?? "", String(run.runID),
            String(decoding: run.payload.serialized(), as: UTF8.self), run.agentID ?? "",
        ]
        var text: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = text.count
            text.append(contentsOf: field.utf8)
            ranges.append(start..<text.count)
        }
        let handle = self.handle
        return text.withUnsafeBufferPointer { base in
            func bytes(_ index: Int) -> garrison_bytes {
                garrison_bytes(ptr: base.baseAddress.map { $0 + ranges[index].lowerBound }, len: ranges[index].count)
            }
            var jobRun = garrison_job_run(
                struct_size: UInt32(MemoryLayout<garrison_job_run>.size), kind: bytes(0), schedule_id: bytes(1),
                run_id: bytes(2), payload_json: bytes(3), agent_id: bytes(4), attempt: UInt32(run.attempt))
            return callback.function(callback.user.pointer, &jobRun, handle)
        }
    }

    /// job_complete: GARRISON_OK with a JSON result, or a negative status with a message.
    func complete(status: Int32, result: garrison_bytes) -> Int32 {
        guard !result.isMalformed else { return GARRISON_ERR_INVALID }
        let outcome: JobOutcome
        if status >= 0 {
            let value = result.len == 0 ? JSON.object([:]) : (try? JSON.parse(result.data))
            guard let value else { return GARRISON_ERR_INVALID }
            outcome = .succeeded(value)
        } else {
            outcome = .failed(result.string.map { $0.isEmpty ? PluginABI.statusName(status) : $0 } ?? PluginABI.statusName(status))
        }
        let code = answer.answer(outcome)
        if code == GARRISON_OK { host.forget(self) }
        return code
    }
}
