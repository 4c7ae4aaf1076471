import Testing
@testable import PluginKit

/// PluginKit's bounded integer readers: what a plugin computes with is in range or a 400.
@Suite struct BoundedIntTests {
    @Test func pathAndQueryIntegersAreBoundedOrRefused() throws {
        let request = PluginRequest(
            query: "page=9223372036854775807&size=20&name=a%20b&empty=", params: ["pk": "7", "bad": "-3", "huge": "99999999999999999999"])
        #expect(try request.intParam("pk") == 7)
        #expect(try request.queryInt("size", in: 1...100) == 20)
        #expect(try request.queryInt("missing", in: 1...100, default: 5) == 5)
        #expect(try request.queryInt("empty", in: 1...100, default: 5) == 5)
        #expect(request.queryValue("name") == "a b")
        for (call, detail) in [
            ({ try request.intParam("bad") }, "Path parameter 'bad' must be a whole number from 1 to 9223372036854775807."),
            ({ try request.intParam("huge") }, "Path parameter 'huge' must be a whole number from 1 to 9223372036854775807."),
            ({ try request.queryInt("page", in: 1...1000) ?? 0 }, "Query parameter 'page' must be a whole number from 1 to 1000."),
        ] as [(() throws -> Int, String)] {
            #expect(throws: PluginHTTPError(400, detail)) { try call() }
        }
        #expect(throws: PluginHTTPError.self) { try BoundedInt.check(Int.max, "timeout", in: 1...86_400) }
    }
}
