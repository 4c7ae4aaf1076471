import CGarrisonPlugin
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension PluginHost {
    /// Runs one SQL statement in the plugin's own schema and decodes the rows
    /// (JSON objects keyed by column name).
    ///
    ///     let rows: [Greeting] = try await host.query(
    ///         "SELECT id, name FROM greetings WHERE name = $1", [name])
    ///
    /// `params` bind to $1..$n and must encode to JSON strings, numbers,
    /// booleans or null. Failures throw PluginError with the host's status
    /// (.invalid, .conflict, .unavailable, ...) and message; the message may
    /// hold SQL, so log it and never send it to a client.
    public func query<Row: Decodable>(
        _ sql: String, _ params: [any Encodable & Sendable] = [],
        as rowType: Row.Type = Row.self
    ) async throws -> [Row] {
        let rows = try await queryJSON(sql, params)
        do {
            return try JSONCoding.decoder.decode([Row].self, from: rows)
        } catch {
            throw PluginError(.internal, "db_query rows: \(JSONCoding.describe(error))")
        }
    }

    /// Runs one SQL statement and returns its rows as JSON objects, without a Decodable
    /// type: the byte reader is several times faster than JSONDecoder, which matters on
    /// paths that run for every request. Read the members with `row["column"]`.
    public func queryRows(_ sql: String, _ params: [any Encodable & Sendable] = []) async throws -> [JSON] {
        let rows = try await queryJSON(sql, params)
        guard case .array(let items) = try JSON(parsing: rows) else { throw PluginError(.internal, "db_query rows: not a JSON array") }
        return items
    }

    /// Runs a statement whose rows, if any, are not needed.
    public func execute(_ sql: String, _ params: [any Encodable & Sendable] = []) async throws {
        _ = try await queryJSON(sql, params)
    }

    /// Runs a statement and returns the rows as raw JSON text.
    public func queryJSON(_ sql: String, _ params: [any Encodable & Sendable] = []) async throws -> Data {
        let paramsJSON: Data
        do {
            paramsJSON = try JSONCoding.encodeArray(params)
        } catch {
            throw PluginError(.invalid, "db_query params: \(error)")
        }
        let dbQuery = api.required(\.db_query)
        return try await awaitDone("db_query") { done, user, cancelOut in
            withBytes(sql, paramsJSON) { sql, params in
                dbQuery(handle, sql, params, done, user, cancelOut)
            }
        }
    }
}
