import Foundation
import Testing
@testable import GarrisonHost

/// msgpack through msgpack-c, checked against Python's msgpack (the encoder Tactical RMM's
/// server uses, and an implementation independent of msgpack-c).
@Suite struct MsgPackTests {
    /// Each case: a value as Garrison encodes it, and the same value as JSON for Python.
    static let cases: [(name: String, value: MsgPackValue, json: String)] = [
        ("ping", AgentCommand("ping").message, #"{"func": "ping"}"#),
        (
            "rawcmd",
            AgentCommand(
                "rawcmd", payload: ["command": "uname -a", "shell": "/bin/bash"], fields: ["timeout": 30, "run_as_user": false, "id": 1234]
            ).message,
            #"{"func": "rawcmd", "timeout": 30, "run_as_user": false, "id": 1234, "payload": {"command": "uname -a", "shell": "/bin/bash"}}"#
        ),
        (
            "eventlog days as string", AgentCommand("eventlog", payload: ["logname": "System", "days": "30"]).message,
            #"{"func": "eventlog", "payload": {"logname": "System", "days": "30"}}"#
        ),
        (
            "runscript",
            AgentCommand(
                "runscript", payload: ["code": String(repeating: "echo hi\n", count: 40), "shell": "powershell"],
                fields: [
                    "timeout": 90, "script_args": ["-a", "b c"], "env_vars": ["A=1"], "nushell_enable_config": false,
                    "deno_default_permissions": "",
                ]
            ).message,
            #"{"func": "runscript", "timeout": 90, "script_args": ["-a", "b c"], "env_vars": ["A=1"], "nushell_enable_config": false, "deno_default_permissions": "", "payload": {"code": "\#(String(repeating: "echo hi\\n", count: 40))", "shell": "powershell"}}"#
        ),
        (
            "integers of every width",
            .array([0, 127, 128, 255, 256, 65535, 65536, .int(4_294_967_296), -1, -32, -33, -129, -32769, .int(-2_147_483_649)]),
            "[0, 127, 128, 255, 256, 65535, 65536, 4294967296, -1, -32, -33, -129, -32769, -2147483649]"
        ),
        (
            "float, nil, unicode", .object(["total_ram": .double(15.5), "none": .nil, "name": "Zürich ✓"]),
            #"{"total_ram": 15.5, "none": null, "name": "Zürich ✓"}"#
        ),
    ]

    @Test func encodingMatchesPython() throws {
        var lines: [String] = []
        for testCase in Self.cases {
            lines.append(Crypto.hex(MsgPackEncoder.encode(testCase.value)) + "\t" + testCase.json)
        }
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("garrison-msgpack-\(Crypto.randomHex(bytes: 4)).tsv")
        try lines.joined(separator: "\n").write(to: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: input) }
        let result = try Python.code(
            """
            import json, msgpack, sys
            for line in open(sys.argv[1], encoding="utf-8"):
                encoded, expected = line.rstrip("\\n").split("\\t", 1)
                ours = bytes.fromhex(encoded)
                value = json.loads(expected)
                same_bytes = msgpack.packb(value) == ours
                same_value = msgpack.unpackb(ours) == value
                print("ok" if same_bytes and same_value else "MISMATCH bytes=%s value=%s python=%s" % (same_bytes, same_value, msgpack.packb(value).hex()))
            """, [input.path])
        #expect(result.status == 0, "\(result.output)")
        let verdicts = result.output.split(separator: "\n").map(String.init)
        #expect(verdicts.count == Self.cases.count, "\(result.output)")
        for (testCase, verdict) in zip(Self.cases, verdicts) {
            #expect(verdict == "ok", "\(testCase.name): \(verdict)")
        }
    }

    @Test func decodesWhatPythonEncodes() throws {
        let result = try Python.code(
            """
            import msgpack
            print(msgpack.packb({"agent_id": "abc", "logged_in_username": "None", "hostname": "h", "operating_system": "Debian 12",
                                 "plat": "linux", "total_ram": 15.6, "boot_time": 1700000000, "needs_reboot": True, "goarch": "amd64"}).hex())
            """)
        let bytes = try #require(hexBytes(result.output.trimmingCharacters(in: .whitespacesAndNewlines)))
        let telemetry = try AgentTelemetry.decode(kind: .agentInfo, MsgPackDecoder.decode(bytes))
        guard case .agentInfo(let info) = telemetry.body else { Issue.record("not agent info"); return }
        #expect(telemetry.agentID == "abc")
        #expect(info.totalRAM == 15.6 && info.bootTime == 1_700_000_000 && info.needsReboot && info.plat == "linux")
    }

    /// The Go agent writes short strings as str16 (0xda), which Python never does.
    @Test func decodesTheAgentsStr16Strings() throws {
        let value = try MsgPackDecoder.decode([0x81, 0xda, 0x00, 0x04] + Array("func".utf8) + [0xda, 0x00, 0x04] + Array("pong".utf8))
        #expect(value["func"] == "pong")
    }

    @Test(
        arguments: [
            ("empty", [UInt8]()),
            ("truncated map", [0x82, 0xa3, 0x61]),
            ("trailing bytes", [0xa1, 0x61, 0x00]),
            ("reserved byte 0xc1", [0xc1]),
            ("array claiming 2^32-1 elements", [0xdd, 0xff, 0xff, 0xff, 0xff]),
            ("str claiming more than sent", [0xdb, 0x00, 0x10, 0x00, 0x00, 0x61]),
        ] as [(String, [UInt8])])
    func garbageIsAnError(_ name: String, _ bytes: [UInt8]) {
        #expect(throws: MsgPackDecoder.DecodeError.self, "\(name)") { try MsgPackDecoder.decode(bytes) }
    }

    @Test func roundTrips() throws {
        for testCase in Self.cases {
            let decoded = try MsgPackDecoder.decode(MsgPackEncoder.encode(testCase.value))
            // msgpack-c reads non-negative integers back as unsigned.
            #expect(MsgPackEncoder.encode(decoded) == MsgPackEncoder.encode(testCase.value), "\(testCase.name)")
        }
    }

    @Test func telemetryWithWrongTypesIsRefused() throws {
        let value = MsgPackValue.object(["agent_id": "abc", "version": 2])
        #expect(throws: AgentTelemetry.Invalid.self) { try AgentTelemetry.decode(kind: .hello, value) }
        #expect(throws: AgentTelemetry.Invalid.self) { try AgentTelemetry.decode(kind: .hello, "just a string") }
    }
}

func hexBytes(_ text: String) -> [UInt8]? {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) ?? text.endIndex
        guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
        bytes.append(byte)
        index = next
    }
    return bytes
}
