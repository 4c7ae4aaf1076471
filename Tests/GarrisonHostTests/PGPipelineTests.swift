import Testing
@testable import GarrisonHost

/// PGConnection.pipeline: one round trip for several segments, each its own implicit
/// transaction, and statements prepared once per session by cache key.
@Suite struct PGPipelineTests {
    @Test func aFailedSegmentSkipsOnlyItsOwnRest() async throws {
        try await TestHost.with { host in
            let results = try await host.server.storage.pool.withConnection { c in
                try c.pipeline([
                    [
                        .init("CREATE TEMP TABLE t (n int)"), .init("INSERT INTO t VALUES ($1::int)", ["1"]), .init("SELECT 1/0"),
                        .init("INSERT INTO t VALUES (2)"),
                    ],
                    [.init("SELECT count(*)::int AS n FROM pg_class WHERE relname = 't' AND relpersistence = 't'")],
                ]).map { result -> String in
                    switch result {
                    case .success(let r): return r.first?["n"] ?? "ok"
                    case .failure(let e): return e.sqlState
                    }
                }
            }
            // Division by zero (22012) undid the whole first segment, temp table included.
            #expect(results == ["22012", "0"])
        }
    }

    @Test func preparedOncePerSession_andReplacedWhenTheTableChangesShape() async throws {
        try await TestHost.with { host in
            let outcome = try await host.server.storage.pool.withConnection { c -> [String] in
                try c.query("CREATE TABLE pipeline_probe (a int)")
                try c.query("INSERT INTO pipeline_probe VALUES (7)")
                var seen: [String] = []
                let step = PGConnection.Step("SELECT * FROM pipeline_probe WHERE a = $1::int", ["7"], cacheKey: "probe")
                for _ in 0..<3 { seen.append((try? c.pipeline([[step]])[0].get().first?["a"]) ?? "error") }
                seen.append(
                    try c.query("SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE '%pipeline_probe%'").first?["n"]
                        ?? "?")
                try c.query("ALTER TABLE pipeline_probe ADD COLUMN b int")
                if case .failure(let error) = try c.pipeline([[step]])[0] { seen.append(error.sqlState) }
                c.forgetPrepared(key: "probe")
                seen.append((try? c.pipeline([[step]])[0].get().first?["a"]) ?? "error")
                return seen
            }
            #expect(outcome == ["7", "7", "7", "1", "0A000", "7"])
        }
    }
}
