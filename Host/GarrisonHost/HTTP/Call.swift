import Foundation
import JSONText
import Hummingbird
import NIOCore

/// Everything a route handler gets about one request, already routed and authenticated.
public struct Call: Sendable {
    public let method: HTTPRequest.Method
    public let path: String
    public let route: String
    public let query: [String: String]
    public let headers: HTTPFields
    public let body: ByteBuffer
    public let params: [String: String]
    public let principal: Principal?
    public let sourceIP: String
    public let requestID: String
    /// The query string as sent (still percent-encoded, no '?'): plugins get it verbatim.
    public let rawQuery: String

    public init(
        method: HTTPRequest.Method, path: String, route: String, query: [String: String], headers: HTTPFields, body: ByteBuffer,
        params: [String: String], principal: Principal?, sourceIP: String, requestID: String, rawQuery: String = ""
    ) {
        self.method = method
        self.path = path
        self.route = route
        self.query = query
        self.headers = headers
        self.body = body
        self.params = params
        self.principal = principal
        self.sourceIP = sourceIP
        self.requestID = requestID
        self.rawQuery = rawQuery
    }

    /// The signed-in operator; routes with operator access always have one.
    public var user: OperatorIdentity {
        get throws {
            guard let user = principal?.user else { throw APIError.unauthenticated }
            return user
        }
    }

    public var bodyData: Data { Data(buffer: body, byteTransferStrategy: .noCopy) }

    /// The body as JSON; an empty body reads as an empty object.
    public func json() throws -> JSON {
        if body.readableBytes == 0 { return .object([:]) }
        do { return try JSON.parse(bodyData) } catch {
            throw APIError.badRequest(
                "The request body is not valid JSON: \(Self.describe(error)). Send a JSON object with Content-Type: application/json.")
        }
    }

    /// The body as a JSON object with typed field accessors that name what is wrong.
    public func object() throws -> FieldReader {
        let value = try json()
        guard case .object(let fields) = value else { throw APIError.badRequest("The request body must be a JSON object.") }
        return FieldReader(fields)
    }

    public func param(_ name: String) -> String { params[name] ?? "" }

    /// An integer path parameter; anything else is a 404 since no such object can exist.
    public func intParam(_ name: String) throws -> Int {
        guard let value = params[name].flatMap({ Int($0) }) else {
            throw APIError.notFound("No object with \(name) '\(params[name] ?? "")': it must be a whole number.")
        }
        return value
    }

    private static func describe(_ error: Error) -> String {
        if let error = error as? JSONReadError { return error.description }
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }
}

/// Typed access to a JSON object's fields, with errors that name the field.
public struct FieldReader: Sendable {
    public let fields: [String: JSON]

    public init(_ fields: [String: JSON]) { self.fields = fields }

    public func has(_ key: String) -> Bool { fields[key] != nil }

    public func string(_ key: String) throws -> String {
        guard let value = fields[key], !value.isNull else { throw APIError.badRequest("Field '\(key)' is required.") }
        guard let string = value.stringValue else { throw APIError.badRequest("Field '\(key)' must be a string.") }
        return string
    }

    public func nonEmptyString(_ key: String) throws -> String {
        let value = try string(key).trimmingCharacters(in: .whitespacesAndNewlines)
        if value.isEmpty { throw APIError.badRequest("Field '\(key)' must not be empty.") }
        return value
    }

    public func optionalString(_ key: String) throws -> String? {
        guard let value = fields[key], !value.isNull else { return nil }
        guard let string = value.stringValue else { throw APIError.badRequest("Field '\(key)' must be a string.") }
        return string
    }

    /// A whole number inside `range` (32 bits unless the caller names one), so arithmetic on
    /// it cannot trap; anything else is a 400 naming the field and the range.
    public func int(_ key: String, in range: ClosedRange<Int> = RequestInteger.standard) throws -> Int {
        guard let value = fields[key], !value.isNull else { throw APIError.badRequest("Field '\(key)' is required.") }
        return try Self.integer(key, value, range)
    }

    public func optionalInt(_ key: String, in range: ClosedRange<Int> = RequestInteger.standard) throws -> Int? {
        guard let value = fields[key], !value.isNull else { return nil }
        return try Self.integer(key, value, range)
    }

    public func optionalBool(_ key: String) throws -> Bool? {
        guard let value = fields[key], !value.isNull else { return nil }
        guard let bool = value.boolValue else { throw APIError.badRequest("Field '\(key)' must be true or false.") }
        return bool
    }

    /// A list of object ids (each inside `range`, positive ids by default).
    public func optionalIntArray(_ key: String, in range: ClosedRange<Int> = RequestInteger.id) throws -> [Int]? {
        guard let value = fields[key], !value.isNull else { return nil }
        guard let array = value.arrayValue else { throw APIError.badRequest("Field '\(key)' must be a list of ids.") }
        return try array.map { element in
            // Tactical RMM's UI sometimes sends objects {"value": id} for pickers; accept both.
            if let object = element.objectValue, let inner = object["value"] ?? object["id"] { return try Self.integer(key, inner, range) }
            return try Self.integer(key, element, range)
        }
    }

    public func optionalStringArray(_ key: String) throws -> [String]? {
        guard let value = fields[key], !value.isNull else { return nil }
        guard let array = value.arrayValue else { throw APIError.badRequest("Field '\(key)' must be a list of strings.") }
        return try array.map { element in
            guard let string = element.stringValue else { throw APIError.badRequest("Field '\(key)' must be a list of strings.") }
            return string
        }
    }

    private static func integer(_ key: String, _ value: JSON, _ range: ClosedRange<Int>) throws -> Int {
        if let int = value.intValue { return try RequestInteger.check(int, "Field '\(key)'", in: range) }
        // Ids arrive as strings from some clients ("3"); accept those, refuse anything else.
        if let string = value.stringValue { return try RequestInteger.parse(string[...], "Field '\(key)'", in: range) }
        throw RequestInteger.refusal("Field '\(key)'", range)
    }
}
