import PluginKit
import ScriptingCore
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension JSON {
    /// A flat text view of a host object for variables: scalars as text, and the custom
    /// fields' values under their names where no field of that name exists.
    var variableFields: [String: String] {
        guard case .object(let members) = self else { return [:] }
        var out: [String: String] = [:]
        for (key, value) in members {
            if let text = value.scalarText { out[key] = text }
        }
        if case .object(let custom)? = members["custom_fields"] {
            for (key, value) in custom where out[key] == nil {
                if let text = value.scalarText { out[key] = text }
            }
        }
        return out
    }

    var scalarText: String? {
        switch self {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n.rounded() == n && abs(n) < 1e15 ? String(Int(n)) : String(n)
        default: return nil
        }
    }
}

extension PluginRequest {
    var username: String { principal["username"]?.stringValue ?? "" }
}

extension ScriptingError {
    var http: PluginHTTPError { PluginHTTPError(400, description) }
}

/// Runs a ScriptingCore step, turning its refusal into a 400.
func checked<T>(_ body: () throws(ScriptingError) -> T) throws -> T {
    do { return try body() } catch { throw error.http }
}
