import CLibPQ

/// What went wrong in storage, in terms a caller can act on.
public enum DatabaseError: Error, Sendable, CustomStringConvertible {
    /// The server could not be reached or the connection broke.
    case unavailable(String)
    /// A constraint refused the write (SQLSTATE class 23); carries the SQLSTATE and constraint.
    case constraint(sqlState: String, constraint: String, message: String)
    /// Any other server-side error.
    case server(sqlState: String, message: String)

    public var description: String {
        switch self {
        case .unavailable(let message): return "database unavailable: \(message)"
        case .constraint(let state, let constraint, let message): return "constraint \(constraint) (\(state)): \(message)"
        case .server(let state, let message): return "database error \(state): \(message)"
        }
    }

    public var isUniqueViolation: Bool {
        if case .constraint(let state, _, _) = self { return state == "23505" }
        return false
    }

    /// 42710: CREATE of a role or object that already exists.
    public var isDuplicateObject: Bool {
        if case .server(let state, _) = self { return state == "42710" }
        return false
    }

    public var sqlState: String {
        switch self {
        case .unavailable: return "08000"
        case .constraint(let state, _, _), .server(let state, _): return state
        }
    }

    public var isForeignKeyViolation: Bool {
        if case .constraint(let state, _, _) = self { return state == "23503" }
        return false
    }

    static func from(result: OpaquePointer, connection: OpaquePointer) -> DatabaseError {
        func field(_ code: Int32) -> String {
            guard let value = PQresultErrorField(result, code) else { return "" }
            return String(cString: value)
        }
        let state = field(Int32(UInt8(ascii: "C")))
        let message = field(Int32(UInt8(ascii: "M")))
        if PQstatus(connection) != CONNECTION_OK || state.hasPrefix("08") || state.hasPrefix("57P") {
            return .unavailable(message.isEmpty ? String(cString: PQerrorMessage(connection)) : message)
        }
        if state.hasPrefix("23") {
            return .constraint(sqlState: state, constraint: field(Int32(UInt8(ascii: "n"))), message: message)
        }
        return .server(sqlState: state, message: message)
    }
}
