import Foundation
import HTTPTypes
import Testing
@testable import GarrisonHost

/// Each row: a role holding `granted`, a request, and the status it must get. Every allow row
/// has a matching deny row without the permission.
struct PermissionCase: Sendable, CustomTestStringConvertible {
    let name: String
    let granted: [String]
    let method: HTTPRequest.Method
    let path: String
    let body: JSON?
    let expected: Int
    var testDescription: String { name }
}

@Suite struct PermissionTests {
    static let cases: [PermissionCase] = [
        .init(name: "list agents allowed", granted: ["can_list_agents"], method: .get, path: "/agents/", body: nil, expected: 200),
        .init(name: "list agents denied", granted: ["can_list_clients"], method: .get, path: "/agents/", body: nil, expected: 403),
        .init(name: "list clients allowed", granted: ["can_list_clients"], method: .get, path: "/clients/", body: nil, expected: 200),
        .init(name: "list clients denied", granted: ["can_list_agents"], method: .get, path: "/clients/", body: nil, expected: 403),
        .init(
            name: "add client allowed", granted: ["can_manage_clients"], method: .post, path: "/clients/",
            body: ["client": ["name": "Acme"], "site": ["name": "HQ"]], expected: 200),
        .init(
            name: "add client denied", granted: ["can_list_clients"], method: .post, path: "/clients/",
            body: ["client": ["name": "Acme"], "site": ["name": "HQ"]], expected: 403),
        .init(name: "list sites allowed", granted: ["can_list_sites"], method: .get, path: "/clients/sites/", body: nil, expected: 200),
        .init(name: "list sites denied", granted: ["can_list_clients"], method: .get, path: "/clients/sites/", body: nil, expected: 403),
        .init(
            name: "view settings allowed", granted: ["can_view_core_settings"], method: .get, path: "/core/settings/", body: nil,
            expected: 200),
        .init(
            name: "view settings denied", granted: ["can_edit_core_settings"], method: .get, path: "/core/settings/", body: nil,
            expected: 403),
        .init(
            name: "edit settings allowed", granted: ["can_edit_core_settings"], method: .put, path: "/core/settings/",
            body: ["smtp_port": 25], expected: 200),
        .init(
            name: "edit settings denied", granted: ["can_view_core_settings"], method: .put, path: "/core/settings/",
            body: ["smtp_port": 25], expected: 403),
        .init(name: "audit allowed", granted: ["can_view_auditlogs"], method: .patch, path: "/logs/audit/", body: [:], expected: 200),
        .init(name: "audit denied", granted: ["can_list_agents"], method: .patch, path: "/logs/audit/", body: [:], expected: 403),
        .init(name: "list users allowed", granted: ["can_list_accounts"], method: .get, path: "/accounts/users/", body: nil, expected: 200),
        .init(name: "list users denied", granted: ["can_list_roles"], method: .get, path: "/accounts/users/", body: nil, expected: 403),
        .init(name: "list roles allowed", granted: ["can_list_roles"], method: .get, path: "/accounts/roles/", body: nil, expected: 200),
        .init(name: "list roles denied", granted: ["can_list_accounts"], method: .get, path: "/accounts/roles/", body: nil, expected: 403),
        .init(
            name: "list api keys allowed", granted: ["can_list_api_keys"], method: .get, path: "/accounts/apikeys/", body: nil,
            expected: 200),
        .init(
            name: "list api keys denied", granted: ["can_manage_accounts"], method: .get, path: "/accounts/apikeys/", body: nil,
            expected: 403),
        .init(name: "metrics allowed", granted: ["can_view_core_settings"], method: .get, path: "/metrics/", body: nil, expected: 200),
        .init(name: "metrics denied", granted: ["can_list_agents"], method: .get, path: "/metrics/", body: nil, expected: 403),
        .init(name: "version for anyone signed in", granted: [], method: .get, path: "/core/version/", body: nil, expected: 200),
        .init(name: "status needs no login", granted: [], method: .get, path: "/core/status/", body: nil, expected: 200),
    ]

    @Test(arguments: cases)
    func rolePermissionsDecideAccess(_ row: PermissionCase) async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let token = try await host.user("u", permissions: row.granted, admin: admin)
            let reply = try await host.request(row.method, row.path, as: .token(token), json: row.body)
            #expect(reply.status == row.expected, "\(row.name): \(reply.text)")
            if row.expected == 403 { #expect(reply.json["detail"]?.stringValue?.contains("needs") == true) }
        }
    }

    @Test func everyRouteDeclaresAnAccessRuleAndPermissionNamesAreValid() async throws {
        try await TestHost.with { host in
            for route in host.server.dispatcher.routes {
                if case .permission(let name) = route.access { #expect(Permissions.isValid(name), "\(route.pattern) names \(name)") }
            }
            let anonymous = host.server.dispatcher.routes.filter { $0.access == .anonymous }.map(\.pattern).sorted()
            // The agent's config route answers everyone: any non-200 there crashes agent 2.9.1.
            // A deployment link's random uid is its secret, as in Tactical RMM. The dashboard's
            // files hold no data. Health answers load balancers; Tactical RMM's monitoring
            // status (POST /core/status/, /core/v2/status/) checks its own token.
            #expect(
                anonymous == [
                    "/", "/api/v3/<agent_id>/config/", "/clients/<uid>/deploy/", "/core/health/", "/core/status/", "/core/status/",
                    "/core/v2/status/", "/dashboard/<file>/", "/v2/checkcreds/", "/v2/login/",
                ])
        }
    }
}
