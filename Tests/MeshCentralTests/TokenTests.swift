import Foundation
import MeshCentralCore
import Testing

/// The token vectors of the MeshCentral bridge reference (computed with meshctrl 0.1.15), and
/// a round trip through PyPI meshctrl as an independent implementation.
@Suite struct TokenTests {
    static let keyHex = (0..<80).map { String(format: "%02x", $0) }.joined()
    static let iv: [UInt8] = (0xa0...0xaf).map { UInt8($0) }
    static let nonce: [UInt8] = (0xc0...0xcb).map { UInt8($0) }
    static let time = 1_700_000_000

    @Test func loginTokenVectorA() throws {
        let key = try MeshKey(hex: Self.keyHex)
        #expect(String(decoding: MeshTokens.loginJSON(user: "user//Alice___3", time: Self.time), as: UTF8.self)
            == #"{"a":3, "u":"user//alice___3","time":1700000000}"#)
        let token = try MeshTokens.login(key: key, user: "user//Alice___3", time: Self.time, iv: Self.iv)
        #expect(
            token
                == "oKGio6SlpqeoqaqrrK2ur$2uTkzEKdikompda12QozVM0sS2Yx$P$2YiXynX9JkIzGkiVANT2KMJe0PC@GYrzD4ua9oIUTCxNne3Kk4o@BF3T0dPezabZ5XikTkLzGRXsmYW9NjZrmYxUhv8aYW@HaAxMstu$gfeShUoMkuFoy8="
        )
        #expect(token.count == 172)
        #expect(MeshTokens.openLogin(key: key, token: token) == MeshTokens.loginJSON(user: "user//alice___3", time: Self.time))
    }

    @Test func authCookieVectorsBAndC() throws {
        let key = try MeshKey(hex: Self.keyHex)
        #expect(String(decoding: MeshTokens.authJSON(user: "tactical", time: Self.time), as: UTF8.self)
            == #"{"userid":"user//tactical", "domainid":"", "time":1700000000}"#)
        let b = try MeshTokens.auth(key: key, user: "tactical", time: Self.time, nonce: Self.nonce)
        #expect(b == "wMHCw8TFxsfIycrLGKVAEniESBiDIGjqUPdNl3tqUhQSCv86uuPf10HJmnljB4JcSIt820bhZyoVGRDb3f$5zhb5fyHqYXQ7ja0I7K9f7k3i$ZAptBUe4J8=")
        #expect(b.count == 120)
        let c = try MeshTokens.auth(key: key, user: "tactical", domain: "dom1", time: Self.time, nonce: Self.nonce)
        #expect(
            c == "wMHCw8TFxsfIycrLfYiD0KwGJfsIM0ol9nZdtntqUhQSCv86uuPf10HJmnkoHI4OE5Z@2V6qKGtbX1OWnvL4yhOyK2qsb247nasIuK9J$1impM18ph8f59LXCy09HLsNlA==")
        #expect(MeshTokens.openAuth(key: key, cookie: c).map { String(decoding: $0, as: UTF8.self) }
            == #"{"userid":"user/dom1/tactical", "domainid":"dom1", "time":1700000000}"#)
        var tampered = Array(b.utf8)
        tampered[40] = tampered[40] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(MeshTokens.openAuth(key: key, cookie: String(decoding: tampered, as: UTF8.self)) == nil, "the GCM tag guards it")
    }

    @Test func nodeIDVectorD() {
        let hex = "E2118196E02280A8573E09A418DE538CF50EF21C93BE7A8E299936B9DE14C7E38C99B7E9DF85F2BA5F85A111A173953E"
        #expect(MeshIDs.isAgentNodeID(hex))
        #expect(MeshIDs.meshNodeID(fromHex: hex) == "4hGBluAigKhXPgmkGN5TjPUO8hyTvnqOKZk2ud4Ux@OMmbfp34Xyul@FoRGhc5U@")
        #expect(MeshIDs.hexNodeID(fromMesh: "node//4hGBluAigKhXPgmkGN5TjPUO8hyTvnqOKZk2ud4Ux@OMmbfp34Xyul@FoRGhc5U@") == hex)
        #expect(!MeshIDs.isAgentNodeID("node//abc"))
        #expect(!MeshIDs.isAgentNodeID(String(hex.dropLast())))
        #expect(!MeshIDs.isAgentNodeID(String(hex.dropLast()) + "G"))
    }

    @Test func keysOfTheWrongFormAreRefused() {
        #expect(throws: MeshKey.Failure.wrongLength(158)) { try MeshKey(hex: String(Self.keyHex.dropLast(2))) }
        #expect(throws: MeshKey.Failure.notHex) { try MeshKey(hex: "zz" + Self.keyHex.dropFirst(2)) }
        #expect(throws: MeshKey.Failure.wrongLength(0)) { try MeshKey(hex: "") }
    }

    @Test func freshTokensDiffer() throws {
        let key = try MeshKey(hex: Self.keyHex)
        #expect(try MeshTokens.login(key: key, user: "user//a", time: 1) != MeshTokens.login(key: key, user: "user//a", time: 1))
        #expect(try MeshTokens.auth(key: key, user: "a", time: 1) != MeshTokens.auth(key: key, user: "a", time: 1))
    }

    /// meshctrl makes the same bytes from the same inputs, and decodes what Garrison makes
    /// (random key, IV and nonce, so this is not the fixed vectors again).
    @Test func roundTripsWithMeshctrl() throws {
        let keyBytes = (0..<80).map { _ in UInt8.random(in: 0...255) }
        let keyHex = keyBytes.map { String(format: "%02x", $0) }.joined()
        let key = try MeshKey(hex: keyHex)
        let iv = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let nonce = (0..<12).map { _ in UInt8.random(in: 0...255) }
        let now = Int(Date().timeIntervalSince1970)
        for (user, domain) in [("user//John___4", ""), ("Mesh_API", ""), ("tech", "dom1")] {
            let made = try Self.python([
                "op": "make", "key": keyHex, "user": user, "domain": domain, "time": now,
                "iv": iv.map { String(format: "%02x", $0) }.joined(), "nonce": nonce.map { String(format: "%02x", $0) }.joined(),
            ])
            #expect(made["login"] == (try MeshTokens.login(key: key, user: user, time: now, iv: iv)), "login token for \(user)")
            #expect(made["auth"] == (try MeshTokens.auth(key: key, user: user, domain: domain, time: now, nonce: nonce)), "auth for \(user)")

            let login = try MeshTokens.login(key: key, user: user, time: now)
            let auth = try MeshTokens.auth(key: key, user: user, domain: domain, time: now)
            let opened = try Self.python(["op": "open", "key": keyHex, "login": login, "auth": auth])
            #expect(opened["login"] == String(decoding: MeshTokens.loginJSON(user: user, time: now), as: UTF8.self))
            #expect(opened["auth"] == String(decoding: MeshTokens.authJSON(user: user, domain: domain, time: now), as: UTF8.self))
        }
    }

    static func python(_ request: [String: Any]) throws -> [String: String] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("meshctrl_tokens.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: request))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let failure = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let object = try JSONSerialization.jsonObject(with: data) as? [String: String] else {
            throw PythonFailed(
                message: "meshctrl_tokens.py failed (scripts/install-deps.sh installs meshctrl): \(String(decoding: failure, as: UTF8.self))")
        }
        return object
    }

    struct PythonFailed: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
