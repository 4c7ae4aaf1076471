import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
@testable import GarrisonHost

/// `log.format = "json"`: every line `garrison serve` writes is one JSON object, and each
/// request has a line with its route, user, status and latency.
@Suite(.serialized) struct LogFormatTests {
    @Test func jsonLinesAndARequestLinePerRequest() async throws {
        let folder = try CrashRestartTests.temporaryFolder("jsonlog")
        defer { try? FileManager.default.removeItem(at: folder) }
        try "[log]\nformat = \"json\"\n".write(to: folder.appendingPathComponent("garrison.toml"), atomically: true, encoding: .utf8)
        let host = ServeProcess(folder: folder, port: FreePort.find())
        let serve = try host.start()
        defer { host.stop(serve) }
        try await host.awaitStatus200(timeout: .seconds(90))
        let http = HTTP(base: "http://127.0.0.1:\(host.port)")
        let password = try String(contentsOf: folder.appendingPathComponent("data/initial-admin-password"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let login = try await http.call("POST", "/v2/login/", json: ["username": "admin", "password": .string(password)])
        let token = try #require(login.json["token"]?.stringValue, "\(login.text)")
        #expect(try await http.call("GET", "/clients/?secret=x", token: token).status == 200)
        #expect(try await http.call("GET", "/clients/").status == 401)

        let log = folder.appendingPathComponent("serve.log")
        var lines: [JSON] = []
        try await eventually("the request lines", timeout: .seconds(10)) {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            lines = text.split(separator: "\n").compactMap { try? JSON.parse(Data($0.utf8)) }
            return lines.filter { $0["message"] == "request" && $0["route"] == "/clients/" }.count >= 2
        }
        let text = try String(contentsOf: log, encoding: .utf8)
        let raw = text.split(separator: "\n")
        #expect(lines.count == raw.count, "every line is JSON: \(raw.filter { (try? JSON.parse(Data($0.utf8))) == nil }.prefix(3))")
        #expect(lines.allSatisfy { $0["time"]?.stringValue != nil && $0["level"]?.stringValue != nil && $0["label"]?.stringValue != nil })
        let requests = lines.filter { $0["message"] == "request" && $0["route"] == "/clients/" }
        let served = try #require(requests.first { $0["status"] == "200" }, "\(requests)")
        #expect(served["user"] == "admin")
        #expect(served["method"] == "GET")
        #expect(served["path"] == "/clients/", "the query is left out: it may carry a token")
        #expect(Double(served["latency_ms"]?.stringValue ?? "") != nil, "\(served)")
        #expect(served["request"]?.stringValue?.isEmpty == false)
        let refused = try #require(requests.first { $0["status"] == "401" }, "\(requests)")
        #expect(refused["user"] == "-")
        #expect(!text.contains(token), "no token in the log")
    }

    @Test func metadataNamedLikeAFieldIsKeptApart() {
        let lines = NIOLockedValueBox<[String]>([])
        var handler = JSONLogHandler(label: "t") { line in lines.withLockedValue { $0.append(line) } }
        handler.logLevel = .trace
        handler.log(
            event: LogEvent(
                level: .warning, message: "a \"quoted\"\nmessage", metadata: ["message": "mine", "n": "1"], source: "s", file: "f",
                function: "fn", line: 1))
        let parsed = try? JSON.parse(Data(lines.withLockedValue { $0 }.first?.utf8 ?? "".utf8))
        #expect(parsed?["message"] == "a \"quoted\"\nmessage")
        #expect(parsed?["meta_message"] == "mine")
        #expect(parsed?["level"] == "warning")
        #expect(parsed?["n"] == "1")
    }
}
