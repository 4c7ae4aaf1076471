import CGarrisonPlugin

/// A status code of the C ABI (`GARRISON_OK`, `GARRISON_ERR_*`), kept as a
/// struct rather than an enum so codes from newer hosts still round-trip.
public struct PluginStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let ok = PluginStatus(rawValue: GARRISON_OK)
    public static let pending = PluginStatus(rawValue: GARRISON_PENDING)
    public static let invalid = PluginStatus(rawValue: GARRISON_ERR_INVALID)
    public static let phase = PluginStatus(rawValue: GARRISON_ERR_PHASE)
    public static let conflict = PluginStatus(rawValue: GARRISON_ERR_CONFLICT)
    public static let notFound = PluginStatus(rawValue: GARRISON_ERR_NOT_FOUND)
    public static let timeout = PluginStatus(rawValue: GARRISON_ERR_TIMEOUT)
    public static let cancelled = PluginStatus(rawValue: GARRISON_ERR_CANCELLED)
    public static let unavailable = PluginStatus(rawValue: GARRISON_ERR_UNAVAILABLE)
    public static let denied = PluginStatus(rawValue: GARRISON_ERR_DENIED)
    public static let `internal` = PluginStatus(rawValue: GARRISON_ERR_INTERNAL)
    public static let unsupported = PluginStatus(rawValue: GARRISON_ERR_UNSUPPORTED)

    /// The name the header uses, for log lines.
    public var description: String {
        switch rawValue {
        case GARRISON_OK: "OK"
        case GARRISON_PENDING: "PENDING"
        case GARRISON_ERR_INVALID: "ERR_INVALID"
        case GARRISON_ERR_PHASE: "ERR_PHASE"
        case GARRISON_ERR_CONFLICT: "ERR_CONFLICT"
        case GARRISON_ERR_NOT_FOUND: "ERR_NOT_FOUND"
        case GARRISON_ERR_TIMEOUT: "ERR_TIMEOUT"
        case GARRISON_ERR_CANCELLED: "ERR_CANCELLED"
        case GARRISON_ERR_UNAVAILABLE: "ERR_UNAVAILABLE"
        case GARRISON_ERR_DENIED: "ERR_DENIED"
        case GARRISON_ERR_INTERNAL: "ERR_INTERNAL"
        case GARRISON_ERR_UNSUPPORTED: "ERR_UNSUPPORTED"
        default: "status \(rawValue)"
        }
    }
}

/// A host function failed. `message` is for logs only: for database errors
/// it may hold SQL, so never send it to an HTTP client.
public struct PluginError: Error, Sendable, CustomStringConvertible {
    public let status: PluginStatus
    public let message: String

    public init(_ status: PluginStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(message) (\(status))" }
}

/// Thrown from a route handler to answer with `status` and
/// `{"detail": detail}`. Any other error becomes a 500.
public struct PluginHTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let detail: String

    public init(_ status: Int, _ detail: String) {
        self.status = status
        self.detail = detail
    }

    public var description: String { "HTTP \(status): \(detail)" }
}
