import CGarrisonPlugin
import Foundation
import GarrisonTesting
import Synchronization
import Testing
@testable import PluginKit

/// Counts live objects, to see free_fn release what registrations captured.
final class Probe: Sendable {
    static let live = Atomic<Int>(0)
    init() { Probe.live.add(1, ordering: .relaxed) }
    deinit { Probe.live.subtract(1, ordering: .relaxed) }
}

/// Only the free_fn test creates it, and never calls it, so no Task can
/// hold a reference a moment longer.
struct ProbePlugin: GarrisonPlugin {
    static let name: StaticString = "probe"
    static let version: StaticString = "0"
    let probe = Probe()
    init(host: PluginHost) throws {}
    func register(_ r: Registrar) throws {
        try r.route(.get, "/probe/", permission: "authenticated") { [probe] _ in
            _ = probe; return .empty()
        }
        try r.subscribe("*") { [probe] _ in _ = probe }
        try r.jobKind("probe.job") { [probe] _ in
            _ = probe; return nil
        }
        try r.agentHandler(replyTag: "probe") { [probe] _ in _ = probe }
        try r.authHook { [probe] _ in
            _ = probe; return .defer
        }
    }
}

/// Exercises the parts of PluginKit a one-route example would not.
final class KitPlugin: GarrisonPlugin {
    static let name: StaticString = "kit"
    static let version: StaticString = "0.0.1"

    struct Settings: Decodable { let port: Int }

    let host: PluginHost
    let settings: Settings
    nonisolated(unsafe) static var lateRegistrar: Registrar?

    init(host: PluginHost) throws {
        self.host = host
        settings = try host.settings()
    }

    func register(_ r: Registrar) throws {
        KitPlugin.lateRegistrar = r
        try r.route(.get, "/kit/teapot/", permission: "authenticated") { _ in
            throw PluginHTTPError(418, "short and stout")
        }
        try r.route(.get, "/kit/boom/", permission: "authenticated") { _ in
            throw CocoaError(.fileNoSuchFile)
        }
        try r.route(.get, "/kit/headers/", permission: "authenticated") { req in
            var response = PluginResponse.text("\(self.settings.port) \(req.params["pk"] ?? "-")")
            response.headers = ["X-Kit": "1"]
            return response
        }
        try r.route(.post, "/kit/rows/", permission: "authenticated") { _ in
            do {
                let rows: [[String: Int]] = try await self.host.query("SELECT 1 AS n", [1, "two"])
                return try .json(rows)
            } catch let error as PluginError {
                throw PluginHTTPError(503, "\(error.status)|\(error.message)")
            }
        }
        try r.route(.get, "/kit/scoped/", permission: "authenticated", scopes: ["a", "b"]) { _ in .empty() }
    }
}

@Suite("PluginKit against a fake host", .serialized)
struct InProcessPluginTests {
    /// plugin_init for KitPlugin; returns the status and the state pointer.
    func start(_ fake: FakeHost, _ type: any GarrisonPlugin.Type = KitPlugin.self) -> (Int32, UnsafeMutableRawPointer?) {
        var state: UnsafeMutableRawPointer?
        let rc = initPlugin(type, api: fake.api, handle: fake.handle, stateOut: &state)
        fake.endInit()
        return (rc, state)
    }

    @Test func missingSettingRefusesToStartNamingTheKey() {
        let fake = FakeHost(settings: #"{"prot": 1}"#)
        let (rc, state) = start(fake)
        #expect(rc == GARRISON_ERR_INVALID)
        #expect(state == nil)
        #expect(fake.logs.contains { $0.contains(#"missing key "port""#) })
        #expect(fake.registrations.isEmpty)
    }

    @Test func routesMapErrorsAndHeaders() async throws {
        let fake = FakeHost(settings: #"{"port": 8}"#)
        let (rc, state) = start(fake)
        #expect(rc == GARRISON_OK)

        let teapot = try await fake.call("GET", "/kit/teapot/")
        #expect(teapot.status == 418)
        #expect(teapot.json?["detail"] as? String == "short and stout")

        let boom = try await fake.call("GET", "/kit/boom/")
        #expect(boom.status == 500)
        #expect(boom.body == #"{"detail":"internal error"}"#)
        #expect(fake.logs.contains { $0.contains("GET /kit/boom/ [req-1]: handler failed") })

        let headers = try await fake.call("GET", "/kit/headers/", params: #"{"pk":"3"}"#)
        #expect(headers.body == "8 3")
        #expect(headers.contentType == "text/plain; charset=utf-8")
        #expect(headers.headers == ["X-Kit": "1"])

        let scoped = fake.registrations.first { $0.key == "GET /kit/scoped/" }
        #expect(scoped?.scopes == "authenticated [a,b]")

        pluginKitShutdown(state)
        fake.freeAll()
    }

    @Test func queryBridgesRowsAndErrors() async throws {
        let fake = FakeHost(settings: #"{"port": 8}"#)
        let (_, state) = start(fake)
        fake.state.withLock { $0.dbAnswer = (GARRISON_OK, #"[{"n":1}]"#) }
        let ok = try await fake.call("POST", "/kit/rows/")
        #expect(ok.body == #"[{"n":1}]"#)
        #expect(fake.state.withLock { $0.queries.last?.params } == #"[1,"two"]"#)

        fake.state.withLock { $0.dbAnswer = (GARRISON_ERR_CONFLICT, "duplicate key") }
        let failed = try await fake.call("POST", "/kit/rows/")
        #expect(failed.status == 503)
        #expect(failed.json?["detail"] as? String == "ERR_CONFLICT|db_query: duplicate key")

        pluginKitShutdown(state)
        fake.freeAll()
    }

    @Test func registrationOutsideInitIsAPhaseError() throws {
        let fake = FakeHost(settings: #"{"port": 8}"#)
        let (_, state) = start(fake)
        let late = try #require(KitPlugin.lateRegistrar)
        #expect {
            try late.migration(version: 2, sql: "SELECT 1")
        } throws: { ($0 as? PluginError)?.status == .phase }
        pluginKitShutdown(state)
        fake.freeAll()
    }

    @Test func freeFunctionsReleaseEverythingRegistrationsHeld() {
        #expect(Probe.live.load(ordering: .relaxed) == 0)
        do {
            let fake = FakeHost()
            let (rc, state) = start(fake, ProbePlugin.self)
            #expect(rc == GARRISON_OK)
            #expect(fake.registrations.map(\.kind) == ["route", "event", "job", "agent", "auth"])
            pluginKitShutdown(state)
            // Each registration's closure still holds a copy until the host frees it.
            #expect(Probe.live.load(ordering: .relaxed) == 1)
            fake.freeAll()
        }
        #expect(Probe.live.load(ordering: .relaxed) == 0)
    }

    @Test func failedInitReleasesWhatItRegistered() {
        let fake = FakeHost()
        // A conflicting route makes register() throw after two registrations.
        final class Conflicting: GarrisonPlugin {
            static let name: StaticString = "conflicting"
            static let version: StaticString = "0"
            let probe = Probe()
            init(host: PluginHost) throws {}
            func register(_ r: Registrar) throws {
                try r.route(.get, "/same/", permission: "authenticated") { [probe] _ in
                    _ = probe; return .empty()
                }
                try r.route(.get, "/same/", permission: "authenticated") { [probe] _ in
                    _ = probe; return .empty()
                }
            }
        }
        do {
            let (rc, state) = start(fake, Conflicting.self)
            #expect(rc == GARRISON_ERR_CONFLICT)
            #expect(state == nil)
            #expect(fake.registrations.count == 1)  // the second one was refused and released
            #expect(fake.logs.contains { $0.contains("register_route GET /same/") })
            fake.freeAll()  // what the host does after a failed init
        }
        #expect(Probe.live.load(ordering: .relaxed) == 0)
    }

    @Test func nothingReachesTheHostAfterShutdown() {
        let fake = FakeHost(settings: #"{"port": 8}"#)
        let host = PluginHost(api: fake.api, handle: fake.handle, gate: HostGate())
        host.log(.info, "before")
        host.gate.close()
        host.log(.info, "after")
        #expect(fake.logs == ["before"])
    }

    @Test func newerMembersAreCheckedAgainstTheTableSize() throws {
        let old = FakeHost(minor: 0)
        let oldHost = PluginHost(api: old.api, handle: old.handle, gate: HostGate())
        #expect(oldHost.api.optional(\.audit) == nil)
        #expect(oldHost.api.optional(\.register_route_scoped) == nil)
        try oldHost.audit(action: "kit.did")  // a no-op with a debug line
        #expect(old.state.withLock { $0.audits }.isEmpty)
        #expect(old.state.withLock { $0.logs.last?.level } == GARRISON_LOG_DEBUG)
        let registrar = Registrar(host: oldHost)
        #expect {
            try registrar.route(.get, "/x/", permission: "authenticated", scopes: ["a"]) { _ in .empty() }
        } throws: { ($0 as? PluginError)?.status == .unsupported }

        let new = FakeHost(minor: 1)
        let newHost = PluginHost(api: new.api, handle: new.handle, gate: HostGate())
        try newHost.audit(action: "kit.did", object: "x")
        #expect(new.state.withLock { $0.audits } == [#"{"action":"kit.did","object":"x"}"#])
        // A 1.1 table ends before call_set_timeout (1.2); the current one has it.
        #expect(newHost.api.optional(\.call_set_timeout) == nil)
        let current = FakeHost()
        #expect(PluginHost(api: current.api, handle: current.handle, gate: HostGate()).api.optional(\.call_set_timeout) != nil)
    }
}
