import Foundation
import Testing
@testable import GarrisonHost

/// Tactical RMM's monitoring endpoints (the MON_TOKEN ones) and Garrison's own health route.
@Suite struct MonitoringStatusTests {
    static let keys: Set<String> = [
        "version", "latest_agent_version", "agent_count", "client_count", "site_count", "disk_usage_percent", "mem_usage_percent",
        "days_until_cert_expires", "cert_expired", "redis_ping", "services_running",
    ]

    @Test func statusAnswersTacticalRMMsShapeOnlyToTheMonitoringToken() async throws {
        try await TestHost.with(configure: { $0.monitoringToken = "mon-token-0123456789" }) { host in
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Acme", admin: admin)
            try await host.seedAgent("mon-agent-1", hostname: "pc-1", site: site)
            try await host.seedAgent("mon-agent-2", hostname: "pc-2", site: site)

            let health = try await host.request(.get, "/core/health/")
            #expect(health.status == 200 && health.json["database"] == "ok", "\(health.text)")

            // Tactical RMM's errors are text with a newline, not JSON.
            let garbage = try await host.request(.post, "/core/status/", rawBody: "{not json")
            #expect(garbage.status == 400 && garbage.text == "Invalid json\n", "\(garbage.text)")
            let noAuth = try await host.request(.post, "/core/status/", json: ["token": "x"])
            #expect(noAuth.status == 400 && noAuth.text == "Invalid payload\n", "\(noAuth.text)")
            let wrong = try await host.request(.post, "/core/status/", json: ["auth": "mon-token-wrong"])
            #expect(wrong.status == 401 && wrong.text == "Not authenticated\n", "\(wrong.text)")

            let status = try await host.request(.post, "/core/status/", json: ["auth": "mon-token-0123456789"])
            #expect(status.status == 200, "\(status.text)")
            #expect(Set(status.json.objectValue.map { Array($0.keys) } ?? []) == Self.keys)
            #expect(status.json["agent_count"] == 2 && status.json["client_count"] == 1 && status.json["site_count"] == 1)
            #expect(status.json["latest_agent_version"] == "2.9.1")
            #expect(status.json["services_running"]?["postgres"] == true)
            let disk = try #require(status.json["disk_usage_percent"]?.doubleValue)
            let memory = try #require(status.json["mem_usage_percent"]?.doubleValue)
            #expect(disk > 0 && disk <= 100 && memory > 0 && memory <= 100, "disk \(disk) memory \(memory)")
            // Django's JsonResponse indents by two spaces; clients that print it see the same.
            #expect(status.text.contains("\n  \"agent_count\""), "\(status.text)")

            let noHeader = try await host.request(.get, "/core/v2/status/")
            #expect(noHeader.status == 401 && noHeader.text == "Missing X-Mon-Token header\n", "\(noHeader.text)")
            let badHeader = try await host.request(.get, "/core/v2/status/", headers: ["X-Mon-Token": "nope"])
            #expect(badHeader.status == 401 && badHeader.text == "Not authenticated\n")
            let v2 = try await host.request(.get, "/core/v2/status/", headers: ["X-Mon-Token": "mon-token-0123456789"])
            #expect(v2.status == 200, "\(v2.text)")
            #expect(v2.json["celery_queue_len"]?.intValue.map { $0 >= 0 } == true, "\(v2.text)")
            #expect(v2.json["celery_queue_health"] == "healthy")
            for key in ["nats_std_ping", "nats_ws_ping", "mesh_ping"] { #expect(v2.json[key]?.boolValue != nil, "\(key) in \(v2.text)") }
            #expect(v2.json["agent_count"] == 2)
        }
    }

    @Test func withoutAMonitoringTokenTheEndpointsAreOff() async throws {
        try await TestHost.with { host in
            let v1 = try await host.request(.post, "/core/status/", json: ["auth": "anything"])
            #expect(v1.status == 401 && v1.text == "Missing token\n", "\(v1.text)")
            let empty = try await host.request(.post, "/core/status/", json: ["auth": ""])
            #expect(empty.status == 401 && empty.text == "Missing token\n")
            let v2 = try await host.request(.get, "/core/v2/status/", headers: ["X-Mon-Token": ""])
            #expect(v2.status == 401 && v2.text == "Missing mon token\n", "\(v2.text)")
        }
    }
}
