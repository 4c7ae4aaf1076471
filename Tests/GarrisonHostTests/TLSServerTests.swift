import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
@testable import GarrisonHost

/// The real listener: TLS with the generated certificate, checked with curl as a client.
@Suite struct TLSServerTests {
    @Test func theDefaultListenerServesTLSWithAnECDSACertificate() async throws {
        let conninfo = try await TestCluster.shared.createDatabase()
        let data = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-tls-\(Crypto.randomHex(bytes: 4))")
        defer { try? FileManager.default.removeItem(at: data) }
        var logger = Logger(label: "tls")
        logger.logLevel = .warning
        let server = try await GarrisonHostServer.start(
            config: TestHost.config(conninfo, data: data), logger: logger, hasher: .fastForTests)
        let port = NIOLockedValueBox(0)
        let app = try server.application { bound in port.withLockedValue { $0 = bound } }
        let running = Task { try await app.runService() }
        defer { running.cancel() }
        var bound = 0
        for _ in 0..<200 where bound == 0 {
            try await Task.sleep(for: .milliseconds(10))
            bound = port.withLockedValue { $0 }
        }
        #expect(bound > 0)
        let certificate = data.appendingPathComponent("tls/cert.pem").path
        let boundPort = bound
        let status = try await offCooperativePool {
            try Subprocess.run("/usr/bin/curl", ["-sS", "--cacert", certificate, "https://localhost:\(boundPort)/core/status/"])
        }
        #expect(status.status == 0, "\(status.output)")
        #expect(status.output.contains("\"status\":\"ok\""))
        let plain = try await offCooperativePool {
            try Subprocess.run("/usr/bin/curl", ["-sS", "http://127.0.0.1:\(boundPort)/core/status/"])
        }
        #expect(!plain.output.contains("\"status\":\"ok\""))
        let details = try Subprocess.run("/usr/bin/openssl", ["x509", "-in", certificate, "-noout", "-text"])
        #expect(details.output.contains("prime256v1"))
        #expect(details.output.contains("DNS:localhost"))
        running.cancel()
        await server.shutdown()
    }
}
