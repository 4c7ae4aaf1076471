import Foundation

/// One claimed run of a job, handed to its kind's handler. `runID` is stable across retries
/// and `attempt` counts from 1, so a handler can make its work idempotent.
public struct JobRun: Sendable {
    public let runID: Int
    public let scheduleID: String?
    public let owner: String
    public let kind: String
    public let payload: JSON
    public let agentID: String?
    public let attempt: Int
    public let dueAt: Date
}

public enum JobOutcome: Sendable, Equatable {
    case succeeded(JSON)
    /// Retried with backoff while attempts remain, then recorded as failed.
    case failed(String)
}

public typealias JobHandler = @Sendable (JobRun) async -> JobOutcome

/// What to schedule: a stable id chosen by the owner, the job kind, when, and for whom.
public struct ScheduleDefinition: Sendable {
    public var id: String
    public var owner: String
    public var kind: String
    public var spec: JSON
    public var payload: JSON
    public var agentID: String?
    public var maxAttempts: Int
    public var enabled: Bool

    public init(
        id: String, owner: String, kind: String, spec: JSON, payload: JSON = [:], agentID: String? = nil, maxAttempts: Int = 3,
        enabled: Bool = true
    ) {
        self.id = id
        self.owner = owner
        self.kind = kind
        self.spec = spec
        self.payload = payload
        self.agentID = agentID
        self.maxAttempts = maxAttempts
        self.enabled = enabled
    }

    /// Reads the JSON form plugins send (`schedule_upsert`) and the API accepts.
    public static func parse(_ json: JSON, owner: String) throws(ScheduleSpecError) -> ScheduleDefinition {
        guard let fields = json.objectValue else { throw ScheduleSpecError("a schedule must be a JSON object") }
        guard let id = fields["id"]?.stringValue, !id.isEmpty, id.count <= 200 else {
            throw ScheduleSpecError("\"id\" must be a non-empty string of at most 200 characters")
        }
        guard let kind = fields["kind"]?.stringValue, !kind.isEmpty else {
            throw ScheduleSpecError("\"kind\" must name a registered job kind")
        }
        guard let spec = fields["schedule"] ?? fields["spec"] else {
            throw ScheduleSpecError("\"schedule\" is required (e.g. {\"type\": \"interval\", \"seconds\": 60})")
        }
        _ = try ScheduleSpec.parse(spec)
        let attempts = fields["max_attempts"]?.intValue ?? 3
        guard (1...100).contains(attempts) else { throw ScheduleSpecError("\"max_attempts\" must be between 1 and 100") }
        return ScheduleDefinition(
            id: id, owner: owner, kind: kind, spec: spec, payload: fields["payload"] ?? [:],
            agentID: fields["agent_id"]?.stringValue, maxAttempts: attempts, enabled: fields["enabled"]?.boolValue ?? true)
    }
}
