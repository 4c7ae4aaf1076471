import Foundation
import Testing
@testable import GarrisonHost

/// What nats-server and the log expose: plain NATS only on loopback, credentials never.
@Suite struct NATSExposureTests {
    func rendered(tls: NATSServerConfig.TLS?, requireTLS: Bool) throws -> JSON {
        var config = NATSServerConfig(
            clientPort: 4222, websocketPort: 9235, tls: tls, hostUser: "garrison-host", hostPasswordHash: "$2b$04$x", agents: [])
        config.requireTLS = requireTLS
        return try JSON.parse(Data(config.rendered().json.utf8))
    }

    @Test func withoutTLSEveryListenerIsOnLoopback() throws {
        let json = try rendered(tls: nil, requireTLS: false)
        #expect(json["host"] == "127.0.0.1")
        #expect(json["websocket"]?["host"] == "127.0.0.1")
        #expect(json["allow_non_tls"] == nil)
    }

    /// The TLS port listens on every address and, with requireTLS, takes no plain client.
    @Test func theTLSPortRefusesPlainClients() throws {
        let json = try rendered(tls: .init(port: 4443, certificateFile: "/c.pem", keyFile: "/k.pem"), requireTLS: true)
        #expect(json["host"] == "0.0.0.0" && json["port"]?.intValue == 4443)
        #expect(json["tls"]?["cert_file"] == "/c.pem" && json["tls"]?["key_file"] == "/k.pem")
        #expect(json["allow_non_tls"] == nil)
        #expect(json["websocket"]?["host"] == "127.0.0.1" && json["websocket"]?["no_tls"] == true)
    }

    @Test(arguments: [
        ("nats://garrison:secret@nats.example:4222", "nats://garrison:***@nats.example:4222"),
        ("tls://s3cr3t-token@nats.example", "tls://***@nats.example"),
        ("nats://a:b@h1:4222,nats://c:d@h2:4222", "nats://a:***@h1:4222,nats://c:***@h2:4222"),
        ("nats://user:p@ss@host", "nats://user:***@host"),
        ("nats://nats.example:4222", "nats://nats.example:4222"),
        ("nats://host/path@x", "nats://host/path@x"),
        ("user:pw@host:4222", "user:***@host:4222"),
        ("", ""),
    ])
    func credentialsInAURLAreRedacted(url: String, logged: String) {
        #expect(NATSURL.redacted(url) == logged)
    }
}
