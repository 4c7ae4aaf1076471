import Logging
import NIOConcurrencyHelpers
import Testing
@testable import GarrisonHost

@Suite struct PluginsEventBusTests {
    @Test(arguments: [
        ("agent.online", "agent.online", true), ("agent.*", "agent.online", true), ("agent.*", "agents.x", false),
        ("*", "anything", true), ("agent.online", "agent.offline", false), ("agent.*", "agent.", true),
    ])
    func patternsMatchExactlyOrByPrefix(pattern: String, name: String, matches: Bool) {
        #expect(EventBus.matches(pattern, name) == matches)
    }

    @Test(arguments: [("agent.*", true), ("*", true), ("exact", true), ("", false), ("a*b", false), ("**", false)])
    func patternValidity(pattern: String, valid: Bool) {
        #expect(EventBus.isValidPattern(pattern) == valid)
    }

    @Test func deliveryIsAsynchronousAndInOrder() async throws {
        let bus = EventBus(logger: Logger(label: "t"))
        defer { bus.close() }
        let seen = NIOLockedValueBox<[String]>([])
        let publishing = NIOLockedValueBox(false)
        bus.subscribe(owner: "t", pattern: "agent.*") { event in
            #expect(!publishing.withLockedValue { $0 }, "a subscriber ran inside publish")
            seen.withLockedValue { $0.append(event.name) }
        }
        bus.subscribe(owner: "other", pattern: "client.created") { event in seen.withLockedValue { $0.append("other:" + event.name) } }
        publishing.withLockedValue { $0 = true }
        bus.publish("agent.online", ["agent_id": "a"])
        bus.publish("site.created", json: "{}")
        bus.publish("agent.offline", json: "{}")
        bus.publish("client.created", json: "{}")
        publishing.withLockedValue { $0 = false }
        for _ in 0..<200 where seen.withLockedValue({ $0.count }) < 3 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(seen.withLockedValue { $0 } == ["agent.online", "agent.offline", "other:client.created"])
        bus.unsubscribe(owner: "t")
        bus.publish("agent.online", json: "{}")
        // One delivery loop serves every subscriber in publish order: once "other" has this
        // later event, the agent.online before it has been delivered, or dropped, for good.
        bus.publish("client.created", json: "{}")
        for _ in 0..<200 where seen.withLockedValue({ $0.count }) < 4 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(seen.withLockedValue { $0 } == ["agent.online", "agent.offline", "other:client.created", "other:client.created"])
    }
}
