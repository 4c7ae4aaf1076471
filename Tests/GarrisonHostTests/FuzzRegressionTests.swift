import Foundation
import NIOCore
import Testing
@testable import GarrisonHost

/// Every crash the fuzzers found (Fuzz/README.md), fed again to the entry point that crashed,
/// from the input committed under Fuzz/corpus. Each must now be refused with a reason.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

    static func input(_ target: String, _ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: corpus.appendingPathComponent(target).appendingPathComponent(name)))
    }

    /// What Fuzz/AgentMsgPack does with a telemetry input: the first byte is the kind.
    static func telemetry(_ input: [UInt8]) throws -> AgentTelemetry {
        let kind = AgentTelemetry.Kind.allCases[Int(input[0])]
        return try AgentTelemetry.decode(kind: kind, try MsgPackDecoder.decode(input.dropFirst()))
    }

    /// A map32 header declaring 0xdfdfdfdf pairs made msgpack-c allocate ~120 GB up front
    /// (AddressSanitizer: out of memory) before it found the message was 200 bytes long.
    @Test func declaredCountLargerThanTheMessageIsRefused() throws {
        let crash = try Self.input("AgentMsgPack", "crash-map32-count")
        #expect(throws: MsgPackDecoder.DecodeError.self) { _ = try Self.telemetry(crash) }
        do {
            _ = try MsgPackDecoder.decode(crash.dropFirst())
            Issue.record("decoded a message that declares more elements than it has bytes")
        } catch {
            #expect(error.description == "declares 7511982014 elements but only 145 bytes follow", "\(error)")
        }
        // The shortest form: an array32 of 2^32 - 1 elements, and a map16 of 65535 pairs.
        for bytes: [UInt8] in [[0xDD, 0xFF, 0xFF, 0xFF, 0xFF], [0x91, 0xDE, 0xFF, 0xFF, 0xC0]] {
            let (declared, left) = bytes[0] == 0xDD ? (4_294_967_295, 0) : (131_070, 1)
            #expect(throws: MsgPackDecoder.DecodeError(description: "declares \(declared) elements but only \(left) bytes follow")) {
                _ = try MsgPackDecoder.decode(bytes)
            }
        }
    }

    /// The count check must not refuse what fits: counts exactly as large as the bytes allow,
    /// containers at the end of nested containers, and long strings.
    @Test func messagesWhoseCountsFitStillDecode() throws {
        let nested: MsgPackValue = .map([
            MsgPackPair("a", .array([.nil, .array([]), .map([MsgPackPair(.uint(1), .binary([0, 1, 2]))])])),
            MsgPackPair("s", .string(String(repeating: "x", count: 70_000))),
            MsgPackPair("e", .array(Array(repeating: .bool(true), count: 70_000))),
        ])
        #expect(try MsgPackDecoder.decode(MsgPackEncoder.encode(nested)) == nested)
        #expect(try MsgPackDecoder.decode([0x93, 0xC0, 0xC0, 0xC0]) == .array([.nil, .nil, .nil]))
        #expect(throws: MsgPackDecoder.DecodeError(description: "declares 3 elements but only 2 bytes follow")) {
            _ = try MsgPackDecoder.decode([0x93, 0xC0, 0xC0])
        }
        #expect(throws: MsgPackDecoder.DecodeError(description: "truncated")) { _ = try MsgPackDecoder.decode([0xA5, 0x61]) }
    }

    /// agent-agentinfo with boot_time 1e28 (a float32): Int(Double) trapped and took the host
    /// down from the NATS delivery thread.
    @Test func bootTimeOutOfRangeIsRefused() throws {
        let crash = try Self.input("AgentMsgPack", "crash-boot-time-range")
        #expect(throws: AgentTelemetry.Invalid(description: "boot_time is out of range (unix seconds)")) { _ = try Self.telemetry(crash) }
        for value: MsgPackValue in [.double(9.223372036854775807e18), .double(-1e300), .double(.infinity)] {
            let message = MsgPackValue.object(["agent_id": "a", "boot_time": value])
            #expect(throws: AgentTelemetry.Invalid.self) { _ = try AgentTelemetry.decode(kind: .agentInfo, message) }
        }
        let fine = MsgPackValue.object(["agent_id": "a", "boot_time": .double(1_767_225_600.7)])
        guard case .agentInfo(let info) = try AgentTelemetry.decode(kind: .agentInfo, fine).body else {
            Issue.record("not agent info")
            return
        }
        #expect(info.bootTime == 1_767_225_600)
    }

    /// A 17 KB head starting "GET /natsws/" without its blank line, arriving a byte at a time:
    /// the sniffer searched the whole buffer again on every read, quadratic work on the event
    /// loop before any authentication (a minute of CPU in a debug build). It now resumes
    /// where it stopped; the bound below is a hundred times what that takes.
    @Test func snifferHeadArrivingByteByByteIsSearchedOnce() throws {
        let crash = try Self.input("NATSWebSocketSniffer", "crash-slow-head").dropFirst()
        let started = ContinuousClock.now
        var buffer = ByteBuffer()
        var searched = 0
        var verdict = NATSWebSocketSniffer.Verdict.undecided
        for byte in crash where verdict == .undecided {
            buffer.writeInteger(byte)
            verdict = NATSWebSocketSniffer.classify(buffer, searched: &searched)
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(verdict == .http)
        #expect(buffer.readableBytes == NATSWebSocketSniffer.maxHead + 1)

        // The end of the head split across reads at every point is still found.
        let upgrade = Array("GET /natsws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n".utf8)
        for split in 1..<upgrade.count {
            var head = ByteBuffer(bytes: upgrade[..<split])
            var searchedSoFar = 0
            let first = NATSWebSocketSniffer.classify(head, searched: &searchedSoFar)
            head.writeBytes(upgrade[split...])
            let second = first == .undecided ? NATSWebSocketSniffer.classify(head, searched: &searchedSoFar) : first
            #expect(second == .natsWebSocket, "split at \(split)")
        }
    }
}
