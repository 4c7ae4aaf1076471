import Foundation
import Logging
import Testing
@testable import GarrisonHost

@Suite struct MigrationTests {
    @Test func migrationsApplyOnAnEmptyDatabaseAndReRunAsANoOp() async throws {
        let conninfo = try await TestCluster.shared.createDatabase()
        let pool = DatabasePool(conninfo: conninfo, size: 2, logger: Logger(label: "t"))
        let migrator = Migrator(pool: pool, logger: Logger(label: "t"))
        let first = try await migrator.migrate(component: "core", CoreMigrations.all)
        #expect(first == CoreMigrations.all.map(\.version))
        let second = try await migrator.migrate(component: "core", CoreMigrations.all)
        #expect(second.isEmpty)
        let tables = try await pool.query(
            "SELECT count(*) AS n FROM information_schema.tables WHERE table_name IN ('clients','sites','agents','users','roles','audit_log')"
        ).first?.int("n")
        #expect(tables == 6)
        await pool.close()
    }

    @Test func twoHostsMigratingAtOnceApplyEachVersionOnce() async throws {
        let conninfo = try await TestCluster.shared.createDatabase()
        let pools = (0..<2).map { _ in DatabasePool(conninfo: conninfo, size: 1, logger: Logger(label: "t")) }
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for pool in pools {
                group.addTask { try await Migrator(pool: pool, logger: Logger(label: "t")).migrate(component: "core", CoreMigrations.all) }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(applied.sorted() == CoreMigrations.all.map(\.version))
        for pool in pools { await pool.close() }
    }

    @Test func aFailingMigrationRollsBackAndNamesItself() async throws {
        let conninfo = try await TestCluster.shared.createDatabase()
        let pool = DatabasePool(conninfo: conninfo, size: 1, logger: Logger(label: "t"))
        let broken = [
            Migration(version: 1, name: "good", sql: "CREATE TABLE a (x int)"),
            Migration(version: 2, name: "bad", sql: "CREATE TABLE b (x int); SELEKT 1"),
        ]
        await #expect { try await Migrator(pool: pool, logger: Logger(label: "t")).migrate(component: "demo", broken) } throws: { error in
            "\(error)".contains("demo #2 (bad)")
        }
        let tableB = try await pool.query("SELECT to_regclass('b') AS t").first?["t"]
        #expect(tableB == nil)
        let ledger = try await pool.query("SELECT version FROM schema_migrations WHERE component = 'demo'").rows.map { $0.int("version") }
        #expect(ledger == [1])
        await pool.close()
    }
}
