import Foundation
import JSONText

/// What an agent publishes on its own subject (docs/agent-protocol.md §5.1). The NATS reply
/// field carries the kind ("agent-hello", ...); the msgpack map carries the data. Keys the
/// agent always sends may still be missing from a foreign client: like the agent's own Go
/// decoder, a missing key reads as the zero value, but a key of the wrong type is refused.
public struct AgentTelemetry: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case hello = "agent-hello"
        case agentInfo = "agent-agentinfo"
        case disks = "agent-disks"
        case winsvc = "agent-winsvc"
        case publicIP = "agent-publicip"
        case wmi = "agent-wmi"
    }

    public struct AgentInfo: Sendable, Equatable {
        public var loggedInUsername = ""
        public var hostname = ""
        public var operatingSystem = ""
        public var plat = ""
        public var totalRAM = 0.0
        public var bootTime = 0
        public var needsReboot = false
        public var goarch = ""
    }

    public enum Body: Sendable, Equatable {
        case hello(version: String)
        case agentInfo(AgentInfo)
        /// The array or object re-encoded as JSON, as Tactical RMM stores it.
        case disks(JSON)
        case services(JSON)
        case publicIP(String)
        case wmi(JSON)
    }

    public let agentID: String
    public let body: Body

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let description: String
        package init(description: String) { self.description = description }
    }

    /// Reads one message; `kind` is the message's reply tag.
    public static func decode(kind: Kind, _ value: MsgPackValue) throws(Invalid) -> AgentTelemetry {
        guard case .map = value else { throw Invalid(description: "not a map") }
        let agentID = try string(value, "agent_id")
        switch kind {
        case .hello:
            return AgentTelemetry(agentID: agentID, body: .hello(version: try string(value, "version")))
        case .agentInfo:
            var info = AgentInfo()
            info.loggedInUsername = try string(value, "logged_in_username")
            info.hostname = try string(value, "hostname")
            info.operatingSystem = try string(value, "operating_system")
            info.plat = try string(value, "plat")
            info.goarch = try string(value, "goarch")
            info.needsReboot = try bool(value, "needs_reboot")
            info.totalRAM = try number(value, "total_ram")
            // Unix seconds; Int(_:) traps on a double beyond Int's range (found by Fuzz/AgentMsgPack).
            guard let bootTime = Int(exactly: try number(value, "boot_time").rounded(.towardZero)) else {
                throw Invalid(description: "boot_time is out of range (unix seconds)")
            }
            info.bootTime = bootTime
            return AgentTelemetry(agentID: agentID, body: .agentInfo(info))
        case .disks:
            return AgentTelemetry(agentID: agentID, body: .disks(try json(value, "disks", empty: .array([]))))
        case .winsvc:
            return AgentTelemetry(agentID: agentID, body: .services(try json(value, "services", empty: .array([]))))
        case .publicIP:
            return AgentTelemetry(agentID: agentID, body: .publicIP(try string(value, "public_ip")))
        case .wmi:
            return AgentTelemetry(agentID: agentID, body: .wmi(try json(value, "wmi", empty: .object([:]))))
        }
    }

    private static func string(_ map: MsgPackValue, _ key: String) throws(Invalid) -> String {
        guard let field = map[key], field != .nil else { return "" }
        guard let text = field.stringValue else { throw Invalid(description: "\(key) is not a string") }
        return text.withoutNUL
    }

    private static func bool(_ map: MsgPackValue, _ key: String) throws(Invalid) -> Bool {
        guard let field = map[key], field != .nil else { return false }
        guard let flag = field.boolValue else { throw Invalid(description: "\(key) is not a boolean") }
        return flag
    }

    private static func number(_ map: MsgPackValue, _ key: String) throws(Invalid) -> Double {
        guard let field = map[key], field != .nil else { return 0 }
        guard let number = field.doubleValue, number.isFinite else { throw Invalid(description: "\(key) is not a number") }
        return number
    }

    private static func json(_ map: MsgPackValue, _ key: String, empty: JSON) throws(Invalid) -> JSON {
        guard let field = map[key], field != .nil else { return empty }
        switch (field, empty) {
        case (.array, .array), (.map, .object): return field.json
        default: throw Invalid(description: "\(key) has the wrong type")
        }
    }
}

extension MsgPackValue {
    /// JSON for storage: map keys become strings, binary becomes a string of its bytes.
    package var json: JSON {
        switch self {
        case .nil: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .number(Double(number))
        case .uint(let number): return .number(Double(number))
        case .double(let number): return number.isFinite ? .number(number) : .null
        case .string(let text): return .string(text.withoutNUL)
        case .binary(let bytes): return .string(String(decoding: bytes, as: UTF8.self).withoutNUL)
        case .array(let elements): return .array(elements.map(\.json))
        case .map(let pairs):
            var object: [String: JSON] = [:]
            for pair in pairs {
                let key: String
                switch pair.key {
                case .string(let text): key = text.withoutNUL
                case .int(let number): key = String(number)
                case .uint(let number): key = String(number)
                default: continue
                }
                if object[key] == nil { object[key] = pair.value.json }
            }
            return .object(object)
        }
    }
}

extension String {
    /// PostgreSQL text and jsonb cannot hold NUL; the agent strips it from output, a foreign
    /// client might not, and one such string must not fail a whole batch.
    /// By bytes, not Foundation's contains/replacingOccurrences: this runs for every string
    /// of every telemetry message.
    package var withoutNUL: String { utf8.contains(0) ? String(decoding: utf8.filter { $0 != 0 }, as: UTF8.self) : self }
}
