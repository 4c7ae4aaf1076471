import Foundation
import Testing
@testable import GarrisonHost

@Suite struct BadInputTests {
    @Test func malformedJSONIsA400ThatSaysSo() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let reply = try await host.request(.post, "/clients/", as: .token(admin), rawBody: "{\"client\": {\"name\": ")
            #expect(reply.status == 400)
            #expect(reply.json["detail"]?.stringValue?.hasPrefix("The request body is not valid JSON") == true)
            let array = try await host.request(.post, "/accounts/roles/", as: .token(admin), rawBody: "[1,2]")
            #expect(array.status == 400)
            #expect(array.json["detail"] == "The request body must be a JSON object.")
        }
    }

    @Test func missingAndMistypedFieldsAreNamed() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let missing = try await host.request(.post, "/accounts/users/", as: .token(admin), json: ["password": "long-enough-pw"])
            #expect(missing.json["detail"] == "Field 'username' is required.")
            let mistyped = try await host.request(
                .post, "/accounts/users/", as: .token(admin), json: ["username": 5, "password": "long-enough-pw"])
            #expect(mistyped.json["detail"] == "Field 'username' must be a string.")
            let setting = try await host.request(.put, "/core/settings/", as: .token(admin), json: ["smtp_port": "25"])
            #expect(setting.json["detail"] == "Setting 'smtp_port' must be a whole number.")
            let unknown = try await host.request(.put, "/core/settings/", as: .token(admin), json: ["smtp_prot": 25])
            #expect(unknown.json["detail"] == "Unknown setting 'smtp_prot'.")
            let filter = try await host.request(.get, "/agents/?client=abc", as: .token(admin))
            #expect(filter.status == 400)
        }
    }

    @Test func unknownIdsAre404sAndUnknownRoutesSayWhatToDo() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            #expect(try await host.request(.get, "/clients/999/", as: .token(admin)).status == 404)
            #expect(try await host.request(.get, "/clients/abc/", as: .token(admin)).status == 404)
            #expect(try await host.request(.get, "/agents/nope/", as: .token(admin)).status == 404)
            let route = try await host.request(.get, "/no/such/route/", as: .token(admin))
            #expect(route.status == 404)
            let method = try await host.request(.delete, "/core/version/", as: .token(admin))
            #expect(method.status == 405)
            #expect(method.headers[.allow] == "GET")
        }
    }

    @Test func anOversizedBodyIsA413AndTheServerKeepsServing() async throws {
        try await TestHost.with(configure: { $0.maxBodyBytes = 2048 }) { host in
            let admin = try await host.adminToken()
            let big = String(repeating: "x", count: 4096)
            let reply = try await host.request(.post, "/clients/", as: .token(admin), json: ["client": ["name": .string(big)]])
            #expect(reply.status == 413)
            #expect(reply.json["detail"]?.stringValue?.contains("max_body_bytes") == true)
            #expect(try await host.request(.get, "/core/version/", as: .token(admin)).status == 200)
        }
    }

    @Test func aDuplicateNameIsA400NotA500() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            _ = try await host.client("Acme", admin: admin)
            let again = try await host.request(
                .post, "/clients/", as: .token(admin), json: ["client": ["name": "Acme"], "site": ["name": "HQ"]])
            #expect(again.status == 400)
            #expect(again.json["detail"] == "A client named Acme already exists.")
        }
    }
}
