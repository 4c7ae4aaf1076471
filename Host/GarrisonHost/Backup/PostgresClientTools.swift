import Foundation

/// pg_dump and pg_restore, from the folder of the PostgreSQL the private cluster runs
/// (Debian's newest /usr/lib/postgresql/N/bin), else PATH. A newer pg_dump reads older
/// servers; an older one refuses a newer server with its own clear message.
struct PostgresClientTools {
    let pgDump: String
    let pgRestore: String

    static func locate() throws -> PostgresClientTools {
        var folders: [String] = []
        if let server = try? PostgresBinaries.locate() {
            folders.append(URL(fileURLWithPath: server.postgres).deletingLastPathComponent().path)
        }
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            folders += versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
        }
        guard let dump = Subprocess.which("pg_dump", extraDirectories: folders),
            let restore = Subprocess.which("pg_restore", extraDirectories: folders)
        else {
            throw BackupError("pg_dump and pg_restore were not found; install Debian's postgresql-client package")
        }
        return PostgresClientTools(pgDump: dump, pgRestore: restore)
    }

    /// Runs a tool against `conninfo` with the password in the environment (PGPASSWORD), not
    /// on the command line where `ps` would show it.
    func run(_ tool: String, _ arguments: [String], conninfo: String) throws -> ProcessOutput {
        guard let options = PluginRoleLogin.parse(conninfo) else { throw BackupError("the database connection string cannot be parsed") }
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("PG") { environment.removeValue(forKey: key) }
        if let password = options.first(where: { $0.0 == "password" })?.1 { environment["PGPASSWORD"] = password }
        let database = options.filter { $0.0 != "password" }
            .map { "\($0.0)='\($0.1.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'"))'" }
            .joined(separator: " ")
        return try Subprocess.run(tool, arguments + ["--dbname=\(database)"], environment: environment, errorsApart: true)
    }
}
