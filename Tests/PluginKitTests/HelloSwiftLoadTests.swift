import CGarrisonPlugin
import Foundation
import Testing

/// Loads the built HelloSwiftPlugin library the way the host does and drives
/// it through the fake host: descriptor, registration, a route round trip
/// through call_respond, an async database answer, events, and free_fn.
@Suite("hello-swift loaded with dlopen", .serialized)
struct HelloSwiftLoadTests {
    typealias Entry = @convention(c) (UInt16, UInt16) -> UnsafeRawPointer?

    /// libHelloSwiftPlugin.so in the build products folder, next to the test
    /// binary (`swift build --build-tests` builds it), or $HELLO_SWIFT_PLUGIN.
    static func libraryPath() -> String {
        if let path = ProcessInfo.processInfo.environment["HELLO_SWIFT_PLUGIN"] { return path }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent("libHelloSwiftPlugin.so").path
    }

    static func load() throws -> UnsafePointer<garrison_plugin_descriptor> {
        let path = libraryPath()
        guard let lib = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw LoadError.dlopen(String(cString: dlerror()) + " (build it: swift build --product HelloSwiftPlugin)")
        }
        // Never dlclose: a Swift image must stay mapped (PluginAPI/README.md, "Writing a plugin in Swift").
        guard let sym = dlsym(lib, "garrison_plugin_entry_v1") else { throw LoadError.noEntry }
        let entry = unsafeBitCast(sym, to: Entry.self)
        #expect(entry(2, 0) == nil)
        guard let d = entry(UInt16(GARRISON_ABI_MAJOR), UInt16(GARRISON_ABI_MINOR)) else { throw LoadError.refused }
        return d.assumingMemoryBound(to: garrison_plugin_descriptor.self)
    }

    enum LoadError: Error { case dlopen(String), noEntry, refused }

    @Test func descriptorIsValid() throws {
        let d = try Self.load().pointee
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
        let d = try Self.load().pointee
        let fake = FakeHost(settings: "{}")
        var state: UnsafeMutableRawPointer?
        #expect(d.plugin_init!(fake.api, fake.handle, &state) == GARRISON_ERR_INVALID)
        #expect(fake.logs.contains { $0.contains(#"missing key "greeting""#) })
        #expect(fake.registrations.isEmpty)
    }

    @Test func servesRoutesEventsAndFreesRegistrations() async throws {
        let d = try Self.load().pointee
        let fake = FakeHost(settings: #"{"greeting":"hi there"}"#)
        var state: UnsafeMutableRawPointer?
        #expect(d.plugin_init!(fake.api, fake.handle, &state) == GARRISON_OK)
        fake.endInit()

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
        d.plugin_shutdown!(state)
        let weakBoxes: [() -> AnyObject?] = fake.registrations.map { r in
            weak let box = Unmanaged<AnyObject>.fromOpaque(r.user!).takeUnretainedValue()
            return { box }
        }
        fake.freeAll()
        // Tasks that answered may release their hold a moment after call_respond.
        for _ in 0..<500 where weakBoxes.contains(where: { $0() != nil }) {
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(weakBoxes.allSatisfy { $0() == nil })
        #expect(fake.registrations.isEmpty)
    }
}
