import CGarrisonPlugin
import Foundation

/// register_job_kind, job_complete, schedule_upsert, schedule_cancel. The scheduler comes in a
/// later issue: kinds are recorded (listed, claimed host-wide, rolled back, free_fn called)
/// and the calls that need the scheduler check their arguments, then answer UNSUPPORTED.
extension PluginHost {
    func registerJobKind(kind: garrison_bytes, fn: garrison_job_fn?, user: UnsafeMutableRawPointer?, freeFn: garrison_free_fn?, out: UnsafeMutablePointer<garrison_reg>?) -> Int32 {
        out?.pointee = 0
        guard isRegistering else { return refuse(GARRISON_ERR_PHASE, "register_job_kind outside plugin_init") }
        guard let text = kind.string, !text.isEmpty else { return refuse(GARRISON_ERR_INVALID, "register_job_kind: empty kind") }
        guard let fn else { return refuse(GARRISON_ERR_INVALID, "register_job_kind \(text): fn is NULL") }
        if let holder = services.claims.owner(of: text, .jobKind), holder != name {
            return refuse(GARRISON_ERR_CONFLICT, "register_job_kind: \(text) belongs to plugin \(holder)")
        }
        let entry = PluginRegistrations.Named(id: PluginRegistrations.nextID(), name: text, callback: PluginCallback(function: fn, user: PluginUserData(pointer: user)))
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

    /// No job handle can exist without a scheduler, so there is nothing to complete.
    static func jobComplete(_ job: OpaquePointer?, status: Int32, result: garrison_bytes) -> Int32 {
        guard job != nil, status <= 0, !result.isMalformed else { return GARRISON_ERR_INVALID }
        return GARRISON_ERR_UNSUPPORTED
    }

    func scheduleUpsert(_ scheduleJSON: garrison_bytes, done: garrison_done_fn?, cancelOut: UnsafeMutablePointer<UInt64>?) -> Int32 {
        cancelOut?.pointee = 0
        guard done != nil, !scheduleJSON.isMalformed, let value = try? JSONValue.parse(scheduleJSON.data), value.objectValue != nil else { return GARRISON_ERR_INVALID }
        guard withState({ $0.instance.acceptsServiceCalls }) else { return GARRISON_ERR_PHASE }
        return GARRISON_ERR_UNSUPPORTED
    }

    func scheduleCancel(_ scheduleID: garrison_bytes, done: garrison_done_fn?, cancelOut: UnsafeMutablePointer<UInt64>?) -> Int32 {
        cancelOut?.pointee = 0
        guard done != nil, let id = scheduleID.string, !id.isEmpty else { return GARRISON_ERR_INVALID }
        guard withState({ $0.instance.acceptsServiceCalls }) else { return GARRISON_ERR_PHASE }
        return GARRISON_ERR_UNSUPPORTED
    }
}
