import Foundation
import Testing
@testable import GarrisonHost

/// The real TLS listener against clients that misbehave or end connections: each probe is
/// Tests/Fixtures/Listener/probe.py, an independent client (Python's ssl module).
@Suite struct ListenerRobustnessTests {
    static var probe: String { PackagePaths.root.appendingPathComponent("Tests/Fixtures/Listener/probe.py").path }

    static func probe(_ arguments: [String]) async throws -> String {
        let result = try await offCooperativePool { try Python.run([probe] + arguments) }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The agent sends `Connection: close` on every request: the answer says so, and the
    /// connection ends with a TLS close_notify, so the client sees no read error.
    @Test func connectionCloseIsAnsweredAndTLSEndsWithCloseNotify() async throws {
        try await TestHost.with { host in
            try await host.listening { port in
                let output = try await Self.probe(["close", String(port), host.certificatePath])
                #expect(output.contains("|connection: close"), "\(output)")
                #expect(output.contains("\nend close_notify"), "\(output)")
                // And curl, the way the issue saw it: no error on a Connection: close request.
                let curl = try await offCooperativePool {
                    try Subprocess.run(
                        "/usr/bin/curl",
                        ["-sS", "--cacert", host.certificatePath, "-H", "Connection: close", "https://localhost:\(port)/core/status/"],
                        errorsApart: true)
                }
                #expect(curl.status == 0 && curl.errors.isEmpty, "\(curl.errors)")
            }
        }
    }

    /// TLS 1.2 offers AEAD suites only: a client that offers only CBC with SHA-1 gets no
    /// handshake, one that offers an AEAD suite does.
    @Test func tls12OffersOnlyAEADSuites() async throws {
        try await TestHost.with { host in
            try await host.listening { port in
                for cipher in ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-SHA256"] {
                    let refused = try await Self.probe(["cipher", String(port), host.certificatePath, cipher])
                    #expect(refused.hasPrefix("handshake failed"), "\(cipher): \(refused)")
                }
                let accepted = try await Self.probe(["cipher", String(port), host.certificatePath, "ECDHE-ECDSA-AES128-GCM-SHA256"])
                #expect(accepted == "handshake ok ECDHE-ECDSA-AES128-GCM-SHA256", "\(accepted)")
            }
        }
    }

    /// A 10 MB body announced to a route that needs a token, without one: 401 at once, from
    /// the head, and the connection closes instead of reading the body.
    @Test func aBodyIsNotReadBeforeAuthentication() async throws {
        try await TestHost.with { host in
            try await host.listening { port in
                let authenticated = try await Self.probe(["bigbody", String(port), host.certificatePath, "/clients/"])
                #expect(authenticated == "status 401 close", "\(authenticated)")
                // An anonymous route has the small limit: refused from Content-Length alone.
                let anonymous = try await Self.probe(["bigbody", String(port), host.certificatePath, "/v2/login/"])
                #expect(anonymous == "status 413 close", "\(anonymous)")
                let status = try await offCooperativePool {
                    try Subprocess.run(
                        "/usr/bin/curl", ["-sS", "--cacert", host.certificatePath, "https://localhost:\(port)/core/status/"])
                }
                #expect(status.output.contains("\"status\":\"ok\""))
            }
        }
    }

    /// A body that ends before its Content-Length is the client's mistake: a 400, not a 500.
    @Test func aBodyThatEndsEarly_isA400() async throws {
        try await TestHost.with { host in
            let token = try await host.adminToken()
            try await host.listening { port in
                let output = try await Self.probe(["shortbody", String(port), host.certificatePath, "/clients/", token])
                #expect(output == "status 400" || output == "no answer", "\(output)")
                #expect(!output.contains("500"))
            }
        }
    }

    /// Slow clients are cut at their deadlines while a normal client is still served, and
    /// /metrics/ counts each cut by reason.
    @Test func slowClientsAreClosedAtTheirDeadlines() async throws {
        try await TestHost.with(configure: {
            $0.tlsHandshakeTimeoutSeconds = 1
            $0.requestHeadTimeoutSeconds = 2
            $0.bodyTimeoutSeconds = 2
            $0.idleTimeoutSeconds = 2
        }) { host in
            try await host.listening { port in
                // Generous upper bounds: the deadline plus scheduling slack, far below "forever".
                async let raw = Self.probe(["slow", String(port), "raw", "30"])
                async let head = Self.probe(["slow", String(port), "head", "30"])
                async let natsws = Self.probe(["slow", String(port), "natsws", "30"])
                async let body = Self.probe(["slow", String(port), "body", "30"])
                try await Task.sleep(for: .milliseconds(300))
                let normal = try await offCooperativePool {
                    try Subprocess.run(
                        "/usr/bin/curl", ["-sS", "--cacert", host.certificatePath, "https://localhost:\(port)/core/status/"])
                }
                #expect(normal.output.contains("\"status\":\"ok\""), "\(normal.errors)")
                for (name, output, limit) in [
                    ("raw", try await raw, 1.0), ("head", try await head, 2.0), ("natsws", try await natsws, 2.0),
                    ("body", try await body, 2.0),
                ] {
                    let parts = output.split(separator: " ")
                    #expect(parts.first == "closed", "\(name): \(output)")
                    if parts.count == 2, let seconds = Double(parts[1]) { #expect(seconds < limit + 8, "\(name): \(output)") }
                }
                let metrics = host.server.context.metrics.exposition()
                for reason in ["tls_handshake", "request_head", "request_body"] {
                    #expect(metrics.contains("garrison_connections_cut_total{reason=\"\(reason)\"}"), "\(reason) not counted:\n\(metrics)")
                }
            }
        }
    }

    /// More connections from one address than the cap: the extra ones are closed at once,
    /// the ones inside the cap still work.
    @Test func connectionsPerAddressAreCapped() async throws {
        try await TestHost.with(configure: { $0.maxConnectionsPerAddress = 3 }) { host in
            try await host.listening { port in
                var held: [Int32] = []
                defer { for fd in held { close(fd) } }
                for _ in 0..<3 { held.append(try Self.connect(port)) }
                try await Task.sleep(for: .milliseconds(200))
                let extra = try Self.connect(port)
                defer { close(extra) }
                #expect(Self.closedByPeer(extra, within: 5), "the fourth connection from 127.0.0.1 stayed open")
                for fd in held { close(fd) }
                held = []
                try await eventually("a slot is free again") {
                    let again = try await offCooperativePool {
                        try Subprocess.run(
                            "/usr/bin/curl", ["-sS", "--cacert", host.certificatePath, "https://localhost:\(port)/core/status/"])
                    }
                    return again.output.contains("\"status\":\"ok\"")
                }
                #expect(host.server.context.metrics.exposition().contains("garrison_connections_cut_total{reason=\"per_address_limit\"}"))
            }
        }
    }

    static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { close(fd); throw TestFailure("connect failed: \(errno)") }
        return fd
    }

    /// Whether the server closed `fd` (read gives EOF or a reset) within `seconds`.
    static func closedByPeer(_ fd: Int32, within seconds: Int32) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, seconds * 1000) == 1 else { return false }
        var byte: UInt8 = 0
        return read(fd, &byte, 1) <= 0
    }
}
