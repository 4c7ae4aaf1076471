import Foundation
import Synchronization
import Testing
@testable import GarrisonHost

/// Group commit for agent_history: many concurrent commands share one INSERT or UPDATE, and
/// each caller still gets its own row, in its own order, with unknown agents refused alone.
@Suite struct HistoryBatchTests {
    @Test func concurrentSubmitsShareBatchesAndEachGetsItsOwnResult() async throws {
        let batches = Mutex<[[Int]]>([])
        let coalescer = WriteCoalescer<Int, Int>(maxBatch: 50, maxInFlight: 1) { items in
            batches.withLock { $0.append(items) }
            try await Task.sleep(for: .milliseconds(5))
            return items.map { $0 * 10 }
        }
        let results = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for n in 0..<400 { group.addTask { (n, try await coalescer.submit(n)) } }
            return try await group.reduce(into: [Int: Int]()) { $0[$1.0] = $1.1 }
        }
        #expect(results.count == 400)
        #expect(results.allSatisfy { $0.value == $0.key * 10 })
        let seen = batches.withLock { $0 }
        #expect(seen.flatMap { $0 }.sorted() == Array(0..<400))
        #expect(seen.allSatisfy { $0.count <= 50 })
        // While one batch sleeps the rest queue: far fewer statements than items.
        #expect(seen.count < 40, "\(seen.count) batches for 400 items")
    }

    @Test func aFailedBatchFailsOnlyItsOwnItems() async throws {
        struct Refused: Error {}
        let coalescer = WriteCoalescer<Int, Int>(maxBatch: 10, maxInFlight: 1) { items in
            if items.contains(13) { throw Refused() }
            return items
        }
        let first = try await coalescer.submit(1)
        await #expect(throws: Refused.self) { try await coalescer.submit(13) }
        let after = try await coalescer.submit(2)
        #expect(first == 1)
        #expect(after == 2)
    }

    @Test func aWriteThatAnswersForTheWrongCount_failsItsCallers() async throws {
        let coalescer = WriteCoalescer<Int, Int>(maxBatch: 10, maxInFlight: 1) { items in Array(items.dropLast()) }
        await #expect(throws: DatabaseError.self) { try await coalescer.submit(1) }
    }

    @Test func historyRowsOpenAndCloseInBatchesAgainstPostgres() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Batch", admin: admin)
            for n in 0..<30 { try await host.seedAgent("batch-\(n)", hostname: "pc-\(n)", site: site) }
            let pool = host.server.storage.pool
            let writer = AgentHistoryWriter(pool: pool)
            // 30 known agents and one that does not exist, all at once.
            let ids = await withTaskGroup(of: (String, Int?).self) { group in
                for n in 0..<31 {
                    let agent = n == 30 ? "nobody" : "batch-\(n)"
                    group.addTask {
                        let id = try? await writer.open(
                            agentID: agent, note: .init(type: "cmd_run", command: "echo \"\(n)\" 'ü'\n", origin: "test"), username: "u\(n)")
                        return (agent, id)
                    }
                }
                return await group.reduce(into: [String: Int?]()) { $0[$1.0] = $1.1 }
            }
            #expect(ids["nobody"] == .some(nil))
            #expect(Set(ids.values.compactMap { $0 }).count == 30)
            for n in 0..<30 {
                let id = try #require(ids["batch-\(n)"] ?? nil)
                let row = try #require(
                    try await pool.query("SELECT agent_id, command, username FROM agent_history WHERE id = $1", [String(id)]).first)
                #expect(row.string("agent_id") == "batch-\(n)")
                #expect(row.string("command") == "echo \"\(n)\" 'ü'\n")
                #expect(row.string("username") == "u\(n)")
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (agent, id) in ids {
                    guard let id else { continue }
                    group.addTask {
                        try await writer.record(
                            pool, id: id, outcome: .reply(.map([MsgPackPair(.string("stdout"), .string("out \(agent)"))])), sink: false)
                    }
                }
                try await group.waitForAll()
            }
            let done = try await pool.query(
                """
                SELECT count(*)::int AS n FROM agent_history WHERE status = 'completed' AND finished IS NOT NULL AND script_results->>'stdout' = 'out ' || agent_id
                """
            ).first?.int("n")
            #expect(done == 30)
        }
    }
}
