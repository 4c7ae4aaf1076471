/// A server -> agent command envelope (docs/agent-protocol.md §4.2, §3): a msgpack map with
/// `func`, an optional `payload` and the other top-level keys. `payload` is typed as
/// strings only because agent 2.9.1 decodes it into map[string]string and drops the whole
/// message -- without a reply -- when any value there is not a string.
public struct AgentCommand: Sendable, Equatable {
    public var function: String
    public var payload: [(key: String, value: String)]?
    /// Other top-level keys (`timeout`, `script_args`, `id`, ...), in order.
    public var fields: [(key: String, value: MsgPackValue)]

    public init(_ function: String, payload: KeyValuePairs<String, String>? = nil, fields: KeyValuePairs<String, MsgPackValue> = [:]) {
        self.function = function
        self.payload = payload.map { $0.map { (key: $0.key, value: $0.value) } }
        self.fields = fields.map { (key: $0.key, value: $0.value) }
    }

    public var message: MsgPackValue {
        var pairs = [MsgPackPair(.string("func"), .string(function))]
        for field in fields where field.key != "func" && field.key != "payload" {
            pairs.append(MsgPackPair(.string(field.key), field.value))
        }
        if let payload {
            pairs.append(MsgPackPair(.string("payload"), .map(payload.map { MsgPackPair(.string($0.key), .string($0.value)) })))
        }
        return .map(pairs)
    }

    public func encoded() -> [UInt8] { MsgPackEncoder.encode(message) }

    public static func == (lhs: AgentCommand, rhs: AgentCommand) -> Bool { lhs.message == rhs.message }
}
