import CGarrisonPlugin
import Foundation
import GarrisonTesting
import Testing

/// The example's own tests, as a third-party author writes them: the built library loaded the
/// way the host loads it (GarrisonTesting's PluginLibrary) and driven through the fake host
/// table: descriptor, registration, a route round trip through call_respond, an async database
/// answer, events, and free_fn.
@Suite("hello-swift loaded with dlopen", .serialized)
struct HelloSwiftTests {
    /// The library `swift build --build-tests` put beside this test binary.
    static func load() throws -> PluginLibrary {
        let library = try PluginLibrary(path: PluginLibrary.built("libHelloSwiftPlugin.so"))
        // An entry asked for another major answers nothing: the host then refuses cleanly.
        #expect(library.entry(2, 0) == nil)
        return library
    }

    @Test func descriptorIsValid() throws {
        let d = try Self.load().descriptor
        #expect(d.magic == GARRISON_PLUGIN_MAGIC)
        #expect(d.struct_size == UInt32(MemoryLayout<garrison_plugin_descriptor>.stride))
        #expect(d.abi_major == UInt16(GARRISON_ABI_MAJOR))
        #expect(d.min_host_minor == 0)
        #expect(String(cString: d.name) == "hello-swift")
        #expect(String(cString: d.version) == "0.1.0")
        #expect(String(cString: d.build_info).hasPrefix("swift-6."))
        #expect(d.plugin_init != nil && d.plugin_shutdown != nil)
    }

    @Test func initFailsCleanlyWithoutItsSetting() throws {
        let plugin = try Self.load()
        let fake = FakeHost(settings: "{}")
        #expect(plugin.start(on: fake) == GARRISON_ERR_INVALID)
        #expect(fake.logs.contains { $0.contains(#"missing key "greeting""#) })
        #expect(fake.registrations.isEmpty)
    }

    @Test func servesRoutesEventsAndFreesRegistrations() async throws {
        let plugin = try Self.load()
        let fake = FakeHost(settings: #"{"greeting":"hi there"}"#)
        #expect(plugin.start(on: fake) == GARRISON_OK)

        // Registration.
        let keys = fake.registrations.map(\.key)
        #expect(keys == ["GET /hello-swift/", "POST /hello-swift/", "GET /hello-swift/events/", "agent.*"])
        #expect(fake.registrations[0].scopes == "can_view_core_settings")
        #expect(fake.state.withLock { $0.migrations.map(\.version) } == [1])

        // A route round trip through call_respond.
        let get = try await fake.call("GET", "/hello-swift/")
        #expect(get.status == 200)
        #expect(get.contentType == "application/json")
        #expect(get.body == #"{"greeting":"hi there","plugin":"hello-swift"}"#)

        // The async path: db_query's done runs, then the Task answers.
        fake.state.withLock { $0.dbAnswer = (GARRISON_OK, #"[{"id":7,"name":"bob"}]"#) }
        let post = try await fake.call("POST", "/hello-swift/", body: #"{"name":"bob"}"#)
        #expect(post.body == #"{"id":7,"stored":"bob"}"#)
        #expect(fake.state.withLock { $0.queries.last?.params } == #"["bob"]"#)

        let bad = try await fake.call("POST", "/hello-swift/", body: "{")
        #expect(bad.status == 400)

        fake.state.withLock { $0.dbAnswer = (GARRISON_ERR_UNAVAILABLE, "server closed the connection") }
        let down = try await fake.call("POST", "/hello-swift/", body: #"{"name":"bob"}"#)
        #expect(down.status == 503)
        #expect(!down.body.contains("server closed"))  // logged, not sent
        #expect(fake.logs.contains { $0.contains("server closed the connection") })

        // Events are handled in Tasks; wait for both to be counted.
        fake.publish("agent.online", #"{"agent_id":"a1"}"#)
        fake.publish("agent.offline", #"{"agent_id":"a1"}"#)
        fake.publish("client.created", #"{}"#)
        var events = ""
        for _ in 0..<500 {
            events = try await fake.call("GET", "/hello-swift/events/").body
            if events == #"{"events":2}"# { break }
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(events == #"{"events":2}"#)

        // Shutdown, then free_fn: every box the plugin registered is released.
        let weakBoxes: [() -> AnyObject?] = fake.registrations.map { r in
            weak let box = Unmanaged<AnyObject>.fromOpaque(r.user!).takeUnretainedValue()
            return { box }
        }
        plugin.stop(on: fake)
        // Tasks that answered may release their hold a moment after call_respond.
        for _ in 0..<500 where weakBoxes.contains(where: { $0() != nil }) {
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(weakBoxes.allSatisfy { $0() == nil })
        #expect(fake.registrations.isEmpty)
    }
}
