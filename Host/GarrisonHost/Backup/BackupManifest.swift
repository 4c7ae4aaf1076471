import Foundation

/// What a backup file says about itself, read before anything is restored: the container
/// format, the garrison that made it, the database's migration versions, the schemas and
/// their owners (plugin roles are cluster-wide and not in a per-database dump, so restore
/// recreates them from here), and each entry's size and SHA-256.
public struct BackupManifest: Codable, Sendable, Equatable {
    /// The container format this binary writes and the newest it reads.
    public static let currentFormat = 1

    public struct Entry: Codable, Sendable, Equatable {
        /// "database.dump" or "data/<path inside the data folder>".
        public var name: String
        public var size: Int64
        public var sha256: String
    }

    public struct Schema: Codable, Sendable, Equatable {
        public var name: String
        public var owner: String
    }

    public var format: Int
    public var garrisonVersion: String
    public var createdAt: String
    /// The role the host logged in as when the backup was made (it owned the core tables).
    public var hostRole: String
    public var serverVersion: String
    /// The newest applied migration of each component ("core", "plugin:check", ...).
    public var migrations: [String: Int]
    public var schemas: [Schema]
    public var entries: [Entry]

    enum CodingKeys: String, CodingKey {
        case format, migrations, schemas, entries
        case garrisonVersion = "garrison_version"
        case createdAt = "created_at"
        case hostRole = "host_role"
        case serverVersion = "server_version"
    }

    /// The schemas a plugin role owns: restored as that role, after the role exists.
    func pluginSchemas() -> [Schema] {
        schemas.filter { $0.owner != hostRole && !$0.owner.hasPrefix("pg_") && $0.name != "public" }
    }

    /// Refuses a backup this binary cannot restore faithfully: a newer container format, a
    /// newer garrison, or core migrations this binary does not have.
    func checkRestorable(version: String = GarrisonVersion.string, coreMigration: Int = CoreMigrations.all.map(\.version).max() ?? 0) throws
    {
        guard format >= 1 else {
            throw BackupError("the backup's manifest names format \(format), which no garrison writes; the file is damaged")
        }
        guard format <= Self.currentFormat else {
            throw BackupError(
                "the backup is format \(format), made by garrison \(garrisonVersion); this garrison \(version) reads format \(Self.currentFormat) and older. Restore it with garrison \(garrisonVersion) or later"
            )
        }
        guard let made = Self.versionNumbers(garrisonVersion) else {
            throw BackupError(
                "the backup's manifest names garrison version \"\(garrisonVersion)\", which is not a version; the file is damaged")
        }
        if let mine = Self.versionNumbers(version), mine.lexicographicallyPrecedes(made) {
            throw BackupError(
                "the backup was made by garrison \(garrisonVersion), newer than this garrison \(version); restore it with garrison \(garrisonVersion) or later"
            )
        }
        if let core = migrations["core"], core > coreMigration {
            throw BackupError(
                "the backup's database is at core migration \(core), newer than this garrison's \(coreMigration); restore it with garrison \(garrisonVersion) or later"
            )
        }
        guard entries.contains(where: { $0.name == BackupArchive.databaseEntry }) else {
            throw BackupError("the backup holds no database dump; the file is damaged")
        }
    }

    /// "1.2.3" (optionally "-suffix") as [1, 2, 3], padded to three numbers; nil if not a version.
    static func versionNumbers(_ text: String) -> [Int]? {
        let core = text.split(separator: "-", maxSplits: 1).first.map(String.init) ?? ""
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard part.count <= 9, let number = Int(part), number >= 0 else { return nil }
            numbers.append(number)
        }
        while numbers.count < 4 { numbers.append(0) }
        return numbers
    }
}

public struct BackupError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
