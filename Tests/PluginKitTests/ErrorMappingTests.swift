import CGarrisonPlugin
import Foundation
import GarrisonTesting
import Testing
@testable import PluginKit

@Suite("Error mapping")
struct ErrorMappingTests {
    struct Boom: Error {}

    @Test func httpErrorsBecomeTheirStatusAndDetail() {
        let (response, log) = PluginResponse.forError(PluginHTTPError(404, "no such greeting"))
        #expect(response.status == 404)
        #expect(response.contentType == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"detail":"no such greeting"}"#)
        #expect(log == nil)
    }

    @Test func otherErrorsBecome500AndALogLine() {
        let (response, log) = PluginResponse.forError(PluginError(.unavailable, "db_query: connection refused"))
        #expect(response == PluginResponse.internalError)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"detail":"internal error"}"#)
        #expect(log?.contains("connection refused") == true)
        #expect(PluginResponse.forError(Boom()).response.status == 500)
    }

    @Test func outOfRangeHTTPErrorStatusIsA500() {
        #expect(PluginResponse.forError(PluginHTTPError(99, "x")).response.status == 500)
    }

    @Test func initFailuresNeverReturnSuccessCodes() {
        #expect(initStatus(for: PluginError(.conflict, "route taken")) == GARRISON_ERR_CONFLICT)
        #expect(initStatus(for: PluginError(.ok, "odd")) == GARRISON_ERR_INTERNAL)
        #expect(initStatus(for: PluginError(.pending, "odd")) == GARRISON_ERR_INTERNAL)
        #expect(initStatus(for: Boom()) == GARRISON_ERR_INTERNAL)
    }

    @Test func statusNamesMatchTheHeader() {
        #expect(PluginStatus.notFound.description == "ERR_NOT_FOUND")
        #expect(PluginStatus(rawValue: -99).description == "status -99")
        #expect("\(PluginError(.timeout, "agent_request a1"))" == "agent_request a1 (ERR_TIMEOUT)")
    }

    @Test func responseHelpers() throws {
        #expect(PluginResponse.text("hi").contentType == "text/plain; charset=utf-8")
        #expect(PluginResponse.empty().status == 204)
        let json = try PluginResponse.json(["a": 1], status: 201)
        #expect(json.status == 201)
        #expect(String(decoding: json.body, as: UTF8.self) == #"{"a":1}"#)
    }

    @Test func authVerdictsMapToTheWire() {
        #expect(AuthVerdict.defer.wire.verdict == GARRISON_AUTH_DEFER)
        #expect(AuthVerdict.deny(detail: "no").wire.data == ["detail": "no"])
        #expect(AuthVerdict.limited(scope: "read").wire.verdict == GARRISON_AUTH_LIMITED)
        #expect(AuthVerdict.challenge(["totp": true]).wire.data == ["totp": true])
    }
}
