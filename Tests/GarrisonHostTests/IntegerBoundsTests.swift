import Foundation
import HTTPTypes
import Testing
@testable import GarrisonHost

/// Every integer a request carries is parsed into a range or refused with 400 naming the
/// field and the range. Before, `GET /agents/?page=9223372036854775807` overflowed
/// `(page - 1) * page_size` and the trap took the whole host (and this test process) down.
@Suite struct IntegerBoundsTests {
    static let extremes = ["9223372036854775807", "-9223372036854775808", "99999999999999999999999", "-1", "0"]

    @Test func queryStringsAndPathParametersOutOfRangeAre400() async throws {
        try await TestHost.withAgentActions { host in
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Bounds", admin: admin)
            try await host.seedAgent("bounds-1", hostname: "bounds-1", site: site)
            var cases: [(String, String)] = []
            for value in Self.extremes {
                cases.append(("/agents/?page=\(value)", "'page'"))
                cases.append(("/agents/?page=2&page_size=\(value)", "'page_size'"))
                cases.append(("/agents/bounds-1/eventlog/System/\(value == "0" ? "3651" : value)/", "'days'"))
                cases.append(("/agents/bounds-1/history/?limit=\(value)", "'limit'"))
                cases.append(("/agents/history/?limit=\(value)", "'limit'"))
                if value != "9223372036854775807" { cases.append(("/agents/?client=\(value)", "'client'")) }
            }
            for (path, field) in cases {
                let reply = try await host.request(.get, path, as: .token(admin))
                #expect(reply.status == 400, "\(path): \(reply.status) \(reply.text)")
                let detail = reply.json["detail"]?.stringValue ?? ""
                #expect(detail.contains(field) && detail.contains(" from "), "\(path): \(detail)")
            }
            for pid in Self.extremes {
                let reply = try await host.request(.delete, "/agents/bounds-1/processes/\(pid)/", as: .token(admin))
                #expect(reply.status == 400, "pid \(pid): \(reply.status) \(reply.text)")
            }
            // Inside the range still works, and the host is still answering.
            let page = try await host.request(.get, "/agents/?page=2147483647&page_size=1000", as: .token(admin))
            #expect(page.status == 200 && page.json["results"] == [], "\(page.text)")
            #expect(try await host.request(.get, "/core/status/").status == 200)
        }
    }

    @Test func bodyIntegersOutOfRangeAre400() async throws {
        try await TestHost.withAgentActions { host in
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Bodies", admin: admin)
            try await host.seedAgent("bodies-1", hostname: "bodies-1", site: site)
            let huge: [JSON] = [
                .number(9.223372036854776e18), .number(-9.223372036854776e18), .number(1e300), "9223372036854775807",
                "-9223372036854775808",
            ]
            for value in huge {
                let requests: [(HTTPRequest.Method, String, JSON, String)] = [
                    (.patch, "/logs/audit/", ["pagination": ["page": value, "rowsPerPage": 1000]], "'page'"),
                    (.patch, "/logs/audit/", ["pagination": ["page": 1, "rowsPerPage": value]], "'rowsPerPage'"),
                    (.patch, "/logs/audit/", ["timeFilter": value], "'timeFilter'"),
                    (.put, "/agents/bodies-1/", ["offline_time": value], "'offline_time'"),
                    (.put, "/agents/bodies-1/", ["check_interval": value], "'check_interval'"),
                    (.put, "/agents/bodies-1/", ["site": value], "'site'"),
                    (.post, "/agents/bodies-1/cmd/", ["cmd": "echo", "shell": "/bin/bash", "timeout": value], "'timeout'"),
                ]
                for (method, path, body, field) in requests where !(field == "'site'" && value == "9223372036854775807") {
                    let reply = try await host.request(method, path, as: .token(admin), json: body)
                    #expect(reply.status == 400, "\(method) \(path) \(body): \(reply.status) \(reply.text)")
                    #expect(reply.json["detail"]?.stringValue?.contains(field) == true, "\(path): \(reply.text)")
                }
            }
            #expect(try await host.request(.get, "/core/status/").status == 200)
        }
    }

    @Test func theReaderNamesFieldAndRange() throws {
        let fields = FieldReader(["n": "12", "big": .number(1e19), "word": "x"])
        #expect(try fields.int("n", in: 1...20) == 12)
        #expect(throws: APIError.self) { try fields.int("n", in: 1...10) }
        do {
            _ = try fields.int("big")
            Issue.record("1e19 was accepted")
        } catch let error as APIError {
            #expect(error.detail == "Field 'big' must be a whole number from -2147483648 to 2147483647.")
        }
        #expect(throws: APIError.self) { try fields.optionalInt("word") }
        #expect(try fields.optionalInt("absent") == nil)
    }
}
