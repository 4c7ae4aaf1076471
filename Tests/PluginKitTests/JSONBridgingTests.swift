import Foundation
import Testing
@testable import PluginKit
import JSONText

@Suite("JSON bridging")
struct JSONBridgingTests {
    @Test func parsesAndReadsValues() throws {
        let json = try JSON(parsing: Data(#"{"kind":"user","user_id":1,"ok":true,"tags":["a"],"none":null}"#.utf8))
        #expect(json["kind"]?.stringValue == "user")
        #expect(json["user_id"]?.intValue == 1)
        #expect(json["ok"]?.boolValue == true)
        #expect(json["tags"]?[0] == "a")
        #expect(json["none"]?.isNull == true)
        #expect(json["missing"] == nil)
    }

    @Test func encodesWithSortedKeys() throws {
        let json: JSON = ["b": 1, "a": [true, nil, "x/y"]]
        #expect(String(decoding: try JSONCoding.encode(json), as: UTF8.self) == #"{"a":[true,null,"x/y"],"b":1}"#)
    }

    @Test(
        arguments: [
            JSON.null, true, false, 0, -1, 42, 2.5, 0.1, 1e-5, 1.5e20, 9_007_199_254_740_000.0, "plain", "q \" b \\ s / t \t n \n r \r",
            "\u{08}\u{0C}\u{01}\u{1F}\u{7F}", "ü € 😀", [], [:], [1, "two", nil, [true]],
            ["b": 1, "a": ["z": "y", "é": 2, "A": 3], "": "e"],
        ] as [JSON])
    func theByteWriterGivesTheEncodersText(_ value: JSON) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: value.jsonBytes, as: UTF8.self) == String(decoding: try encoder.encode(value), as: UTF8.self))
        #expect(try JSON(parsing: Data(value.jsonBytes)) == value)
    }

    @Test func encodedJSONGoesOutAsItsBytes_andNestsAsTheSameValue() throws {
        let command: JSON = ["func": "runscriptfull", "payload": ["code": "echo \"ü\"\n"]]
        let encoded = try EncodedJSON(command)
        #expect(try JSONCoding.encode(encoded) == JSONCoding.encode(command))
        let nested: JSON = ["one": command]
        struct Wrapper: Encodable { let one: EncodedJSON }
        #expect(try JSONCoding.encode(Wrapper(one: encoded)) == JSONCoding.encode(nested))
    }

    @Test func decodesIntoTypes() throws {
        struct Agent: Decodable { let agent_id: String }
        let json: JSON = ["agent_id": "abc", "extra": 2]
        #expect(try json.decode(Agent.self).agent_id == "abc")
    }

    @Test func malformedJSONIsAnInvalidPluginError() {
        #expect {
            try JSON(parsing: Data("{nope".utf8))
        } throws: { ($0 as? PluginError)?.status == .invalid }
    }

    @Test func encodesQueryParametersAsOneArray() throws {
        let none: String? = nil
        let data = try JSONCoding.encodeArray(["bob", 7, true, 1.5, none])
        #expect(String(decoding: data, as: UTF8.self) == #"["bob",7,true,1.5,null]"#)
        #expect(String(decoding: try JSONCoding.encodeArray([]), as: UTF8.self) == "[]")
    }

    @Test func describesDecodingErrorsByKeyPath() {
        struct Inner: Decodable { let port: Int }
        struct Settings: Decodable { let greeting: String; let db: Inner }
        func message(_ text: String) -> String {
            let result = Result { try JSONDecoder().decode(Settings.self, from: Data(text.utf8)) }
            guard case .failure(let error) = result else { return "decoded" }
            return JSONCoding.describe(error)
        }
        #expect(message(#"{"db":{"port":1}}"#) == #"missing key "greeting""#)
        #expect(message(#"{"greeting":"x","db":{}}"#) == #"missing key "db.port""#)
        #expect(message(#"{"greeting":3,"db":{"port":1}}"#) == #""greeting" is not a string"#)
        #expect(message("not json") == "not valid JSON")
    }

    @Test func requestBodyErrorsAre400s() throws {
        struct New: Decodable { let name: String }
        let bad = PluginRequest(method: .post, body: Data(#"{"nam":"x"}"#.utf8))
        #expect(throws: PluginHTTPError(400, #"invalid request body: missing key "name""#)) {
            try bad.json(New.self)
        }
        let good = PluginRequest(method: .post, body: Data(#"{"name":"x"}"#.utf8))
        #expect(try good.json(New.self).name == "x")
    }

    @Test func testRequestsAnswerHeadersCaseInsensitively() {
        let req = PluginRequest(headers: ["X-Trace": "1"])
        #expect(req.header("x-trace") == "1")
        #expect(req.header("X-Other") == nil)
    }
}
