import Foundation
import Testing
@testable import GarrisonHost

@Suite struct NATSServerConfigTests {
    static let agentA = String(repeating: "a", count: 20) + String(repeating: "B", count: 20)

    func config(agents: [NATSServerConfig.AgentUser], tls: NATSServerConfig.TLS? = nil) -> JSON {
        let config = NATSServerConfig(
            clientPort: 4222, websocketPort: 9235, tls: tls, hostUser: "garrison-host", hostPasswordHash: "$2b$04$x", agents: agents)
        return try! JSON.parse(Data(config.rendered().json.utf8))
    }

    @Test func agentUser_isConfinedToItsOwnSubject() throws {
        let json = config(agents: [.init(agentID: Self.agentA, passwordHash: "$2b$04$h")])
        let users = try #require(json["authorization"]?["users"]?.arrayValue)
        #expect(users.count == 2)
        #expect(users[0]["permissions"]?["publish"] == ">")
        let agent = users[1]
        #expect(agent["user"]?.stringValue == Self.agentA)
        #expect(agent["password"]?.stringValue == "$2b$04$h")
        #expect(
            agent["permissions"]?["publish"]?["allow"]
                == .array([.string(Self.agentA), .string("\(Self.agentA).cmdoutput.>"), .string("\(Self.agentA).terminal.>")]))
        #expect(agent["permissions"]?["subscribe"]?["allow"] == .array([.string(Self.agentA)]))
        #expect(agent["permissions"]?["allow_responses"]?["expires"] == "1435m")
        #expect(json["max_payload"]?.intValue == 67_108_864)
        #expect(json["authorization"]?["timeout"]?.intValue == 10)
        #expect(json["host"] == "127.0.0.1" && json["port"]?.intValue == 4222)
        #expect(
            json["websocket"]?["no_tls"] == true && json["websocket"]?["host"] == "127.0.0.1"
                && json["websocket"]?["port"]?.intValue == 9235)
        #expect(json["tls"] == nil)
    }

    @Test(arguments: ["a.b", "*", ">", "a b", "", "garrison-host", "a\nb"])
    func agentIDThatIsNotASubjectToken_isLeftOut(_ id: String) {
        let config = NATSServerConfig(
            clientPort: 1, websocketPort: 2, tls: nil, hostUser: "garrison-host", hostPasswordHash: "h",
            agents: [.init(agentID: id, passwordHash: "p")])
        let (json, skipped) = config.rendered()
        #expect(skipped == [id])
        #expect((try? JSON.parse(Data(json.utf8)))?["authorization"]?["users"]?.arrayValue?.count == 1)
    }

    @Test func tlsPort_takesTheClientListenerOnEveryAddress() {
        let json = config(agents: [], tls: .init(port: 4443, certificateFile: "/c.pem", keyFile: "/k.pem"))
        #expect(json["host"] == "0.0.0.0" && json["port"]?.intValue == 4443)
        #expect(json["tls"]?["cert_file"] == "/c.pem")
        #expect(json["allow_non_tls"] == true)
    }

    @Test func bcrypt_verifiesOnlyTheRightSecret() throws {
        let hash = try #require(NATSPassword.hash("token-1"))
        #expect(hash.hasPrefix("$2b$04$"))
        #expect(NATSPassword.verify("token-1", hash))
        #expect(!NATSPassword.verify("token-2", hash))
        #expect(NATSPassword.hash("token-1") != hash)
    }
}
