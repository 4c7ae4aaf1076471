import CLibPQ
import Foundation

/// How a plugin's connections log in: as the plugin's own LOGIN role, never as the host's.
/// Confinement by SET ROLE lasts one statement (`RESET ROLE` inside a DO block, or
/// `set_config('role', ...)`, undoes it); a session that logged in as the plugin's role has
/// nothing to go back to.
enum PluginRoleLogin {
    /// The role's password, derived from the host's own password (or, when the host logs in
    /// without one, from a random secret only the host's role can read). Roles are shared by
    /// every database of a cluster, so the derivation must give every database of it the same
    /// password for the same role: a random password per database would lock the others out.
    static func password(role: String, secret: String) -> String {
        let key = Crypto.sha256(Array("garrison plugin role v1\u{0}".utf8) + Array(secret.utf8))
        return Crypto.hex(Crypto.sha256(key + Array(role.utf8)))
    }

    /// The secret for `password(role:secret:)`: the password in the host's conninfo, else a
    /// random one kept in a table of a schema only the host's role can use.
    static func secret(hostConninfo: String, on connection: PGConnection) throws(DatabaseError) -> String {
        if let password = value(of: "password", in: hostConninfo), !password.isEmpty { return password }
        try connection.execute(
            script: """
                CREATE SCHEMA IF NOT EXISTS garrison_private;
                REVOKE ALL ON SCHEMA garrison_private FROM PUBLIC;
                CREATE TABLE IF NOT EXISTS garrison_private.plugin_role_secret (id int PRIMARY KEY CHECK (id = 1), secret text NOT NULL);
                """)
        try connection.query(
            "INSERT INTO garrison_private.plugin_role_secret VALUES (1, $1) ON CONFLICT (id) DO NOTHING", [Crypto.randomHex(bytes: 32)])
        guard let secret = try connection.query("SELECT secret FROM garrison_private.plugin_role_secret WHERE id = 1").first?["secret"]
        else {
            throw DatabaseError.server(sqlState: "XX000", message: "the plugin role secret is missing")
        }
        return secret
    }

    /// One keyword of a libpq conninfo (either form: `k=v ...` or a postgresql:// URL).
    static func value(of keyword: String, in conninfo: String) -> String? {
        parse(conninfo)?.first { $0.0 == keyword }?.1
    }

    /// `conninfo` with the user and password replaced and `extra` keywords set, as a
    /// `k='v'` string (libpq's own parser reads the original, so URLs work too).
    static func conninfo(_ base: String, user: String, password: String, extra: [(String, String)] = []) -> String? {
        guard let options = parse(base) else { return nil }
        let replaced: Set<String> = Set(["user", "password"] + extra.map(\.0))
        let kept = options.filter { !replaced.contains($0.0) }
        return (kept + [("user", user), ("password", password)] + extra)
            .map { "\($0.0)='\($0.1.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'"))'" }
            .joined(separator: " ")
    }

    /// The keywords set in `conninfo`, in libpq's order; nil if libpq cannot parse it.
    static func parse(_ conninfo: String) -> [(String, String)]? {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &error) else {
            if let error { PQfreemem(error) }
            return nil
        }
        defer { PQconninfoFree(options) }
        var result: [(String, String)] = []
        var index = 0
        while let keyword = options[index].keyword {
            if let value = options[index].val { result.append((String(cString: keyword), String(cString: value))) }
            index += 1
        }
        return result
    }
}

extension PluginRoleLogin {
    /// The conninfo a plugin's connections use: the host's server and database, the plugin's
    /// role and password, its schema as the only search_path and the host's statement
    /// deadline (startup options: RESET ALL returns to them, and no SET ROLE is involved).
    /// Sets the role's password when logging in with it fails (a new role, a role from
    /// before plugins logged in, or a host password that changed). Blocking: run it on a
    /// pool thread.
    static func ensureLogin(
        hostConninfo: String, role: String, schema: String, statementTimeoutMS: Int,
        on connection: PGConnection
    ) throws -> String {
        let secret = try secret(hostConninfo: hostConninfo, on: connection)
        let password = password(role: role, secret: secret)
        // Option values are split on white space; a backslash keeps one in.
        let path = quoteIdentifier(schema).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: " ", with: "\\ ")
        guard
            let conninfo = conninfo(
                hostConninfo, user: role, password: password,
                extra: [
                    ("options", "-c search_path=\(path) -c statement_timeout=\(statementTimeoutMS)"),
                    ("application_name", "garrison plugin \(role)"),
                ])
        else { throw StorageError("the host's database conninfo cannot be parsed") }
        if (try? PGConnection(conninfo: conninfo)) != nil { return conninfo }
        // The password literal cannot hold a quote: it is hex. Other databases of the cluster
        // may set the same password at the same moment ("tuple concurrently updated"): again.
        var attempt = 0
        while true {
            do {
                try connection.query("ALTER ROLE \(quoteIdentifier(role)) LOGIN PASSWORD '\(password)'")
                break
            } catch {
                attempt += 1
                if attempt >= 5 { throw error }
                usleep(useconds_t(20_000 * attempt))
            }
        }
        do {
            _ = try PGConnection(conninfo: conninfo)
        } catch {
            throw StorageError("plugin role \(role) cannot log in: \(error)")
        }
        return conninfo
    }
}
