import Foundation
import NIOConcurrencyHelpers
@testable import GarrisonHost

extension TestHost {
    /// Runs `body` with this host's real listener (TLS, the /natsws sniffer) on a free port.
    func listening<T: Sendable>(_ body: (Int) async throws -> T) async throws -> T {
        let port = NIOLockedValueBox(0)
        let app = try server.application { bound in port.withLockedValue { $0 = bound } }
        let running = Task { try await app.runService() }
        defer { running.cancel() }
        try await GarrisonHostTests.eventually("listener bound") { port.withLockedValue { $0 } > 0 }
        return try await body(port.withLockedValue { $0 })
    }

    /// The self-signed certificate the listener serves.
    var certificatePath: String { server.config.dataURL.appendingPathComponent("tls/cert.pem").path }

    /// Enrolls an agent the way the installer does; returns its token.
    func enroll(_ agentID: String, site: Int, admin: String) async throws -> String {
        let reply = try await request(.post, "/api/v3/newagent/", as: .token(admin), json: AgentAPITests.enrollBody(agentID, site: site))
        guard reply.status == 200, let token = reply.json["token"]?.stringValue else {
            throw TestFailure("newagent: \(reply.status) \(reply.text)")
        }
        return token
    }
}
