import FuzzSupport
import Foundation
#if DEBUG
    @testable import GarrisonHost
#else
    import GarrisonHost
#endif

// What agents send over NATS, decoded as the host decodes it (Bus/MsgPack, Bus/Protocol,
// Bus/Telemetry/TelemetryIngest, Commands/AgentCommander and AgentHistoryWriter). The first
// byte picks the path; the rest is the message:
//   0...5   telemetry of that AgentTelemetry.Kind (hello, agent info, disks, ...)
//   6       a message under a plugin's tag (a map with agent_id, handed on as JSON)
//   other   a reply to a command (stored as text, or as JSON when it is a map)
// Every value that decodes must also re-encode to bytes that decode to the same encoding.

let kinds = AgentTelemetry.Kind.allCases

func exercise(_ input: UnsafeRawBufferPointer) {
    guard let selector = input.first else { return }
    let message = input.dropFirst()
    guard let value = try? MsgPackDecoder.decode(message) else { return }

    let encoded = MsgPackEncoder.encode(value)
    guard let decodedAgain = try? MsgPackDecoder.decode(encoded) else {
        fatalError("MsgPackEncoder wrote bytes MsgPackDecoder refuses: \(encoded)")
    }
    precondition(MsgPackEncoder.encode(decodedAgain) == encoded, "re-encoding changed the message")

    switch Int(selector) {
    case 0..<kinds.count:
        guard let telemetry = try? AgentTelemetry.decode(kind: kinds[Int(selector)], value) else { return }
        _ = telemetry.agentID == "fuzz-agent"
    case kinds.count:
        #if DEBUG
            guard case .object(let object) = value.json else { return }
            _ = object["agent_id"]?.stringValue
            _ = JSON.object(object).databaseText
        #else
            break
        #endif
    default:
        #if DEBUG
            if let map = value.mapValue { _ = map.databaseText } else { _ = value.stringValue ?? value.json.databaseText }
        #else
            break
        #endif
    }
}

FuzzDriver.run { exercise($0) }
