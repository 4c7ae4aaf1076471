import Foundation
import Testing
@testable import GarrisonHost

@Suite struct APIKeyTests {
    @Test func aKeyAuthenticatesUntilItExpiresOrIsDeleted() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let created = try await host.request(
                .post, "/accounts/apikeys/", as: .token(admin), json: ["name": "ci", "user": 1, "expiration": "2099-01-01T00:00:00Z"])
            #expect(created.status == 200)
            let key = try #require(created.json["key"]?.stringValue)
            #expect(try await host.request(.get, "/agents/", as: .apiKey(key)).status == 200)
            // The list never shows the secret.
            let list = try await host.request(.get, "/accounts/apikeys/", as: .token(admin))
            #expect(!list.text.contains(key))
            let id = try #require(created.json["id"]?.intValue)
            #expect(
                try await host.request(.put, "/accounts/apikeys/\(id)/", as: .token(admin), json: ["expiration": "2001-01-01T00:00:00Z"])
                    .status == 200)
            #expect(try await host.request(.get, "/agents/", as: .apiKey(key)).status == 401)
            #expect(try await host.request(.delete, "/accounts/apikeys/\(id)/", as: .token(admin)).status == 200)
            #expect(try await host.request(.get, "/agents/", as: .apiKey(key)).status == 401)
        }
    }

    @Test func aKeyCarriesItsOwnersRole() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            _ = try await host.user("reader", permissions: ["can_list_agents"], admin: admin)
            let readerID = try await host.server.storage.pool.query("SELECT id FROM users WHERE username = 'reader'").first!.int("id")
            let created = try await host.request(
                .post, "/accounts/apikeys/", as: .token(admin), json: ["name": "reader-key", "user": .init(readerID)])
            let key = try #require(created.json["key"]?.stringValue)
            #expect(try await host.request(.get, "/agents/", as: .apiKey(key)).status == 200)
            #expect(try await host.request(.get, "/clients/", as: .apiKey(key)).status == 403)
        }
    }

    @Test func aBadKeyOrTokenIsRefused() async throws {
        try await TestHost.with { host in
            #expect(try await host.request(.get, "/agents/", as: .apiKey("not-a-key")).status == 401)
            #expect(try await host.request(.get, "/agents/", as: .token("0000")).status == 401)
            let none = try await host.request(.get, "/agents/")
            #expect(none.status == 401)
            #expect(none.json["detail"]?.stringValue?.contains("X-API-KEY") == true)
        }
    }
}
