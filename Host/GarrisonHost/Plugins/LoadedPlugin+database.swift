import CGarrisonPlugin
import Foundation

/// The plugin's own PostgreSQL schema: register_migration during init, the migrations after
/// it, and db_query afterwards. Every statement runs on connections that logged in as the
/// plugin's own role, which owns only its schema (its only search_path): no RESET ROLE or
/// set_config('role', ...) in a statement leads back to the host's role, so a plugin's SQL
/// cannot reach core tables or other plugins' schemas. (The library itself is not sandboxed:
/// a dlopen()ed plugin runs with all of the server's privileges.)
extension LoadedPlugin {
    var component: String { "plugin:\(name)" }

    func registerMigration(version: UInt32, sql: garrison_bytes) -> Int32 {
        guard isRegistering else { return refuse(GARRISON_ERR_PHASE, "register_migration outside plugin_init") }
        guard version > 0 else { return refuse(GARRISON_ERR_INVALID, "register_migration: version 0") }
        guard let text = sql.string, !Self.isBlank(text) else {
            return refuse(GARRISON_ERR_INVALID, "register_migration \(version): empty or non-UTF-8 SQL")
        }
        return registering("register_migration") { registrations in
            if registrations.migrations.contains(where: { $0.version == version }) {
                return .refused(GARRISON_ERR_CONFLICT, "register_migration: version \(version) is already registered")
            }
            if let last = registrations.migrations.last, version < last.version {
                return .refused(
                    GARRISON_ERR_INVALID, "register_migration: version \(version) after \(last.version) (versions must increase)")
            }
            registrations.migrations.append(.init(version: version, sql: text))
            return .registered
        }
    }

    /// Step 3: the schema, its role, then the registered migrations on the role's own
    /// login. Skipped in a dry run.
    func applyMigrations() async throws {
        let migrations = withState { $0.registrations.migrations }
        guard let pool = services.pool else { return }
        let schema = descriptor.schema
        let hostConninfo = pool.conninfo
        let timeoutMS = Int(Self.milliseconds(services.callTimeout))
        let login: @Sendable (PGConnection) throws -> String = { connection in
            try PluginRoleLogin.ensureLogin(
                hostConninfo: hostConninfo, role: schema, schema: schema,
                statementTimeoutMS: timeoutMS, on: connection)
        }
        try await Migrator(pool: pool, logger: logger).migrate(
            component: component, schema: schema, role: schema, login: login,
            migrations.map { Migration(version: Int($0.version), name: "\(name) #\($0.version)", sql: $0.sql) })
        let conninfo = try await pool.withConnection { try login($0) }
        // Two connections: a plugin's queries are short, and every plugin has its own.
        let own = DatabasePool(conninfo: conninfo, size: 2, logger: logger)
        let old = databasePool.withLockedValue { current -> DatabasePool? in
            let old = current
            current = own
            return old
        }
        await old?.close()
    }

    /// Empty or only ASCII white space. Looks only as far as the first other character:
    /// statements are long and come on every db_query.
    static func isBlank(_ sql: String) -> Bool { !sql.utf8.contains { !($0 == 0x20 || (0x09...0x0D).contains($0)) } }

    func dbQuery(
        sql: garrison_bytes, params: garrison_bytes, done: garrison_done_fn?, user: UnsafeMutableRawPointer?,
        cancelOut: UnsafeMutablePointer<UInt64>?
    ) -> Int32 {
        cancelOut?.pointee = 0
        guard let done, let statement = sql.string, !Self.isBlank(statement),
            let parameters = Self.parameters(params)
        else { return GARRISON_ERR_INVALID }
        guard let operation = startOperation(done: done, user: user) else { return GARRISON_ERR_PHASE }
        cancelOut?.pointee = operation.token
        guard let pool = databasePool.withLockedValue({ $0 }) else {
            Task { operation.complete(GARRISON_ERR_UNAVAILABLE, "no database in this run (garrison plugins)") }
            return GARRISON_OK
        }
        let schema = quoteIdentifier(descriptor.schema)
        Task {
            do {
                let rows: String = try await pool.withConnection { connection in
                    // Nothing to do if the plugin cancelled before a connection was free.
                    if operation.isFinished { return "[]" }
                    // One round trip (libpq pipeline mode): the statement, then the reset on
                    // its own, so no setting, cursor, temporary table or lock of one call
                    // reaches the next (the connection is the plugin's own: role, search_path
                    // and statement_timeout come from its login). The statement is prepared
                    // once per connection (the reset keeps prepared statements, unlike DISCARD
                    // ALL), so PostgreSQL parses and plans it once.
                    let key = schema + "\u{0}" + statement
                    func run() throws -> Result<PGResult, DatabaseError> {
                        try operation.cancellable(connection.makeCanceller()) {
                            try connection.pipeline([
                                [.init(statement, parameters, cacheKey: key)],
                                Self.sessionReset,
                            ])[0]
                        }
                    }
                    var result = try run()
                    // "cached plan must not change result type" (a table changed under a statement
                    // prepared before: a plugin migration on reload) or "prepared statement does
                    // not exist" (a plugin's own DEALLOCATE): once more, prepared afresh.
                    if case .failure(let error) = result, ["0A000", "26000"].contains(error.sqlState) {
                        if error.sqlState == "0A000" { connection.forgetPrepared(key: key) } else { connection.forgetPrepared() }
                        result = try run()
                    }
                    // A statement that left a transaction open (a plugin sending BEGIN) made
                    // the reset fail: roll back and discard everything.
                    if !connection.isIdle {
                        _ = try? connection.query("ROLLBACK")
                        _ = try? connection.execute(script: "DISCARD ALL")
                        connection.forgetPrepared()
                    }
                    return Self.rowsJSON(try result.get())
                }
                operation.complete(GARRISON_OK, rows)
            } catch let error as DatabaseError {
                operation.complete(Self.status(for: error), "\(error)")
            } catch {
                operation.complete(GARRISON_ERR_INTERNAL, "\(error)")
            }
        }
        return GARRISON_OK
    }

    /// DISCARD ALL without DEALLOCATE ALL and DISCARD PLANS: back to the login's settings,
    /// no cursors, temporary tables, listens or advisory locks left behind.
    static let sessionReset: [PGConnection.Step] = [
        .init("CLOSE ALL"), .init("RESET ALL"), .init("DISCARD TEMP"), .init("DISCARD SEQUENCES"),
        .init("UNLISTEN *"), .init("SELECT pg_advisory_unlock_all()"),
    ]

    /// Registers a pending operation, unless the plugin is in init or stopping: checked and
    /// inserted under one lock, so disabling cannot miss an operation started meanwhile.
    func startOperation(done: garrison_done_fn, user: UnsafeMutableRawPointer?) -> PluginOperation? {
        let operation = PluginOperation(host: self, done: done, user: user)
        let accepted = withState { state -> Bool in
            guard state.instance.acceptsServiceCalls else { return false }
            state.operations[operation.token] = operation
            return true
        }
        return accepted ? operation : nil
    }

    func cancel(token: UInt64) -> Int32 {
        guard token != 0, let operation = withState({ $0.operations[token] }) else { return GARRISON_ERR_NOT_FOUND }
        operation.cancel("cancelled by the plugin")
        return GARRISON_OK
    }

    /// A JSON array of scalars to text parameters; nested values travel as JSON text.
    static func parameters(_ json: garrison_bytes) -> [String?]? {
        if json.isMalformed { return nil }
        if json.len == 0 { return [] }
        guard let value = try? JSON.parse(json.data), case .array(let items) = value else { return nil }
        return items.map { item -> String? in
            switch item {
            case .null: return nil
            case .string(let text): return text
            case .bool(let flag): return flag ? "true" : "false"
            case .number: return String(decoding: item.serialized(), as: UTF8.self)
            case .array, .object: return item.databaseText
            }
        }
    }

    static func status(for error: DatabaseError) -> Int32 {
        switch error {
        case .unavailable: return GARRISON_ERR_UNAVAILABLE
        case .constraint: return error.isUniqueViolation ? GARRISON_ERR_CONFLICT : GARRISON_ERR_INVALID
        case .server(let state, _):
            switch state {
            case "42501": return GARRISON_ERR_DENIED  // insufficient_privilege
            case "57014": return GARRISON_ERR_TIMEOUT  // statement_timeout
            default: return GARRISON_ERR_INVALID
            }
        }
    }

    /// Rows as `[{"column": value}]`: numbers, booleans and JSON columns as themselves,
    /// everything else as text.
    static func rowsJSON(_ result: PGResult) -> String {
        if result.rows.isEmpty { return "[]" }
        let keys = result.columns.map { JSONText.quoted($0) + ":" }
        var out = "["
        for (index, row) in result.rows.enumerated() {
            if index > 0 { out += "," }
            out += "{"
            for column in 0..<keys.count {
                if column > 0 { out += "," }
                out += keys[column]
                out += render(row.values[column], type: result.columnTypes[column])
            }
            out += "}"
        }
        return out + "]"
    }

    private static func render(_ value: String?, type: UInt32) -> String {
        guard let value else { return "null" }
        switch type {
        case 16: return value == "t" ? "true" : "false"  // bool
        case 20, 21, 23, 26: return value  // int8, int2, int4, oid
        case 700, 701, 1700:  // float4, float8, numeric
            if let number = Double(value), number.isFinite { return value }
            return JSONText.quoted(value)
        case 114, 3802: return value  // json, jsonb
        default: return JSONText.quoted(value)
        }
    }
}
