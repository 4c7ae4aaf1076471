import Foundation
import HTTPTypes
import Testing
@testable import GarrisonHost

/// The web dashboard's files as the host serves them (`/`, `/dashboard/<file>`), and its
/// websocket /ws/dashinfo/ checked with PyPI's websockets over the real TLS listener.
@Suite struct DashboardTests {
    @Test func rootAnswersThePageWithItsHeadersAndRevalidates() async throws {
        try await TestHost.with { host in
            let page = try await host.request(.get, "/")
            #expect(page.status == 200)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.cacheControl] == "no-cache")
            #expect(page.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'self'") == true)
            #expect(page.text.contains("<script type=\"module\" src=\"/dashboard/app.js\"></script>"))
            let etag = try #require(page.headers[.eTag])
            let again = try await host.request(.get, "/", headers: ["If-None-Match": etag])
            #expect(again.status == 304)
            #expect(again.text.isEmpty)
            // Anonymous on purpose: the sign-in page needs no token; a token changes nothing.
            let admin = try await host.adminToken()
            #expect(try await host.request(.get, "/", as: .token(admin)).status == 200)
        }
    }

    @Test func assetsHaveTheirContentTypesAndUnknownFilesAreWords() async throws {
        try await TestHost.with { host in
            for (file, type) in [
                ("app.js", "text/javascript; charset=utf-8"), ("app.css", "text/css; charset=utf-8"), ("favicon.svg", "image/svg+xml"),
            ] {
                let reply = try await host.request(.get, "/dashboard/\(file)")
                #expect(reply.status == 200, "\(file)")
                #expect(reply.headers[.contentType] == type, "\(file)")
                #expect(reply.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            }
            let missing = try await host.request(.get, "/dashboard/nothing.js")
            #expect(missing.status == 404)
            #expect(missing.json["detail"] == "Not found: the dashboard has no file nothing.js.")
            #expect(try await host.request(.get, "/dashboard/../README.md").status == 404)
        }
    }

    /// The first page with everything it loads (every module imports at start) stays under
    /// the 200 KB, uncompressed.
    @Test func firstPageIsUnder200KB() async throws {
        try await TestHost.with { host in
            var total = 0
            for name in DashboardRoutes.assets.keys {
                let reply = try await host.request(.get, name == "index.html" ? "/" : "/dashboard/\(name)")
                #expect(reply.status == 200)
                total += reply.text.utf8.count
            }
            #expect(total > 10_000 && total < 200_000, "\(total) bytes")
        }
    }

    // MARK: /ws/dashinfo/

    static var sockets: String { PackagePaths.root.appendingPathComponent("Tests/Fixtures/Dashboard/sockets.py").path }

    static func socket(_ url: String, _ steps: [String]) async throws -> [String] {
        let result = try await offCooperativePool { try Python.run([sockets, url] + steps) }
        let lines = result.output.split(separator: "\n").map(String.init)
        guard result.status == 0 else { throw TestFailure("sockets.py \(steps): \(result.output)") }
        return lines
    }

    @Test func socketRefusesMissingBadAndLimitedTokensWithReasons() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            try await host.listening { port in
                let base = "wss://127.0.0.1:\(port)/ws/dashinfo/"
                #expect(try await Self.socket(base, ["closed"]) == ["closed 4401 Authentication credentials were not provided."])
                #expect(try await Self.socket(base + "?access_token=0123abcd", ["closed"]) == ["closed 4401 Invalid token."])
                // A revoked token is as good as none.
                let gone = try await host.login("admin", host.adminPassword)
                try await host.request(.post, "/logout/", as: .token(gone))
                #expect(try await Self.socket(base + "?access_token=\(gone)", ["closed"]) == ["closed 4401 Invalid token."])
                // A token limited to two-factor enrollment reaches no websocket.
                try await host.server.storage.pool.query(
                    """
                    INSERT INTO auth_tokens (user_id, digest, token_prefix, scope, expiry) SELECT id, $1, 'limited0', '2fa-enroll', now() + interval '1 hour'
                    FROM users WHERE username = 'admin'
                    """, [Crypto.sha256Hex("limited0" + String(repeating: "a", count: 56))])
                #expect(
                    try await Self.socket(base + "?access_token=limited0" + String(repeating: "a", count: 56), ["closed"]) == [
                        "closed 4403 This token is limited to '2fa-enroll'. Finish that step, then sign in again."
                    ])
                // Not a socket this server has: the handshake is answered with a 404.
                let other = try await offCooperativePool { try Python.run([Self.sockets, "wss://127.0.0.1:\(port)/ws/nothing/?access_token=\(admin)"]) }
                #expect(other.status != 0 && other.output.contains("404"), "\(other.output)")
            }
        }
    }

    @Test func socketCountsFollowScopeAndSurviveBadMessages() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (clientA, siteA) = try await host.client("Dash A", admin: admin)
            let (_, siteB) = try await host.client("Dash B", admin: admin)
            try await host.seedAgent("dash-a1", hostname: "a1", site: siteA, lastSeenMinutesAgo: 1)
            try await host.seedAgent("dash-a2", hostname: "a2", site: siteA, lastSeenMinutesAgo: 600)
            try await host.seedAgent("dash-b1", hostname: "b1", site: siteB, lastSeenMinutesAgo: 1, type: "workstation")
            try await host.seedAgent("dash-b2", hostname: "b2", site: siteB, lastSeenMinutesAgo: nil, type: "workstation")
            let scoped = try await host.user("dash-scoped", permissions: ["can_list_agents"], clients: [clientA], admin: admin)
            try await host.listening { port in
                let base = "wss://127.0.0.1:\(port)/ws/dashinfo/?access_token="
                let all = try await Self.socket(
                    base + admin, ["recv", "send:not json", "recv", "send:{\"action\":\"anything\"}", "pingpong"])
                let counts = try JSON.parse(Data(all[0].dropFirst("recv ".count).utf8))
                #expect(counts["action"] == "dashboard.agentcount")
                let data = try #require(counts["data"])
                #expect(data["total_server_count"]?.intValue == 2)
                #expect(data["total_server_offline_count"]?.intValue == 1)
                #expect(data["total_workstation_count"]?.intValue == 2)
                // Never seen is not offline (Tactical RMM's rule).
                #expect(data["total_workstation_offline_count"]?.intValue == 0)
                #expect((data["days_until_cert_expires"]?.intValue ?? 0) > 300)
                #expect(all[1] == "sent")
                #expect(
                    all[2] == "recv {\"error\":\"Messages must be JSON text; this one is not. The socket stays open.\",\"status\":400}",
                    "\(all)")
                // JSON is ignored and the socket still answers.
                #expect(all[3...] == ["sent", "pong"])

                let mine = try await Self.socket(base + scoped, ["recv"])
                let scopedCounts = try JSON.parse(Data(mine[0].dropFirst("recv ".count).utf8))["data"]
                #expect(scopedCounts?["total_server_count"]?.intValue == 2)
                #expect(scopedCounts?["total_workstation_count"]?.intValue == 0)
            }
        }
    }

    @Test func socketsPerUserAreLimited() async throws {
        try await TestHost.with(configure: { $0.maxWebSocketsPerUser = 1 }) { host in
            let admin = try await host.adminToken()
            try await host.listening { port in
                let url = "wss://127.0.0.1:\(port)/ws/dashinfo/?access_token=\(admin)"
                // Hold one open (a session registered), then a second is refused.
                let session = DashboardSocketsProbe(host.server.sockets)
                let first = Task { try await Self.socket(url, ["recv", "sleep:3", "pingpong"]) }
                try await eventually("first socket open") { session.open == 1 }
                let second = try await Self.socket(url, ["closed"])
                #expect(second == ["closed 4429 Too many open websockets for this user (limit 1); close another dashboard."])
                _ = try await first.value
                try await eventually("first socket closed") { session.open == 0 }
            }
        }
    }
}

/// Reads the hub's open-socket count.
struct DashboardSocketsProbe: Sendable {
    let sockets: DashboardSockets
    init(_ sockets: DashboardSockets) { self.sockets = sockets }
    var open: Int { sockets.openCount }
}
