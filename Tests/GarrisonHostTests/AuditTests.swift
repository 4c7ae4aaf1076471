import Foundation
import Testing
@testable import GarrisonHost

@Suite struct AuditTests {
    @Test func changesAndLoginsAreAuditedWithUserAndAddress() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            _ = try await host.request(.post, "/v2/login/", json: ["username": "admin", "password": "not-it-at-all"])
            _ = try await host.client("Acme", admin: admin)
            let added = try await host.request(
                .patch, "/logs/audit/", as: .token(admin), json: ["objectFilter": ["client"], "actionFilter": ["add"]])
            let entries = added.json["audit_logs"]?.arrayValue ?? []
            #expect(entries.count == 1)
            #expect(entries.first?["username"] == "admin")
            #expect(entries.first?["after_value"]?["name"] == "Acme")
            let failed = try await host.request(
                .patch, "/logs/audit/", as: .token(admin), json: ["actionFilter": ["failed_login"], "userFilter": ["admin"]])
            #expect(failed.json["total"] == 1)
            let logins = try await host.request(
                .patch, "/logs/audit/", as: .token(admin), json: ["actionFilter": ["login"], "pagination": ["rowsPerPage": 1, "page": 1]])
            #expect(logins.json["audit_logs"]?.arrayValue?.count == 1)
            let bad = try await host.request(.patch, "/logs/audit/", as: .token(admin), json: ["actionFilter": ["explode"]])
            #expect(bad.status == 400)
        }
    }

    @Test func settingsSecretsAreRedactedInAnswersAndAudit() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            #expect(
                try await host.request(.put, "/core/settings/", as: .token(admin), json: ["smtp_host_password": "hunter2-secret"]).status
                    == 200)
            let settings = try await host.request(.get, "/core/settings/", as: .token(admin))
            #expect(settings.json["smtp_host_password"] == "********")
            let audit = try await host.request(.patch, "/logs/audit/", as: .token(admin), json: ["objectFilter": ["coresettings"]])
            #expect(!audit.text.contains("hunter2"))
            // Sending the placeholder back keeps the stored secret.
            _ = try await host.request(
                .put, "/core/settings/", as: .token(admin), json: ["smtp_host_password": "********", "smtp_port": 465])
            let stored = try await host.server.storage.pool.query("SELECT settings->>'smtp_host_password' AS p FROM core_settings").first?[
                "p"]
            #expect(stored == "hunter2-secret")
        }
    }
}
