import AgentWire

/// What an agent publishes on its own subject, the reply field carrying the kind
/// (docs/agent-protocol.md §5.1): keys and types as a Linux agent 2.9.1 sends them.
public enum AgentTelemetryMessages {
    /// The host's list of kinds: the tags are the protocol's, one list for both sides.
    public typealias Kind = AgentTelemetry.Kind

    /// The six messages of an agent's service start, in the agent's order.
    public static let startup: [Kind] = [.hello, .agentInfo, .disks, .winsvc, .publicIP, .wmi]

    public static func payload(_ kind: Kind, agent: AgentIdentity) -> MsgPackValue {
        let id = MsgPackValue.string(agent.agentID)
        switch kind {
        case .hello:
            return .object(["agent_id": id, "version": .string(agent.version)])
        case .agentInfo:
            return .object([
                "agent_id": id, "logged_in_username": "", "hostname": .string(agent.hostname),
                "operating_system": "debian 12.5 x86_64 6.1.0-18-amd64", "plat": "linux", "total_ram": .double(8),
                "boot_time": .int(1_700_000_000), "needs_reboot": false, "goarch": "amd64",
            ])
        case .disks:
            return .object([
                "agent_id": id,
                "disks": .array([
                    .object([
                        "device": "/dev/sda1", "fstype": "ext4", "total": "98.3 GB", "used": "12.1 GB", "free": "81.2 GB", "percent": 12,
                    ])
                ]),
            ])
        case .winsvc:
            return .object(["agent_id": id, "services": .array([])])
        case .publicIP:
            return .object(["agent_id": id, "public_ip": "127.0.0.1"])
        case .wmi:
            return .object([
                "agent_id": id,
                "wmi": .object([
                    "local_ips": .array(["127.0.0.1/8"]), "disks": .array(["sda 100 GB"]), "cpus": .array(["Emulated CPU"]),
                    "gpus": "", "make_model": "Garrison emulator", "serialnumber": "",
                ]),
            ])
        }
    }
}
