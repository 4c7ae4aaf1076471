import Foundation

/// Plugins describe commands as JSON; agents read msgpack. The conversion keeps the one rule
/// that matters to agent 2.9.1 -- every `payload` value is a string -- by refusing anything
/// else instead of quietly stringifying it.
extension AgentCommand {
    public struct JSONShapeError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(json: [String: JSON]) throws(JSONShapeError) {
        guard let function = json["func"]?.stringValue, !function.isEmpty else {
            throw JSONShapeError(description: "the command needs a non-empty string 'func'")
        }
        var payload: [(key: String, value: String)]?
        if let raw = json["payload"], !raw.isNull {
            guard let object = raw.objectValue else { throw JSONShapeError(description: "'payload' must be an object of strings") }
            payload = try object.sorted { $0.key < $1.key }.map { key, value throws(JSONShapeError) in
                guard let text = value.stringValue else {
                    throw JSONShapeError(
                        description: "payload.\(key) must be a string: the agent drops a command whose payload holds anything else")
                }
                return (key: key, value: text)
            }
        }
        self.init(function)
        self.payload = payload
        self.fields = json.filter { $0.key != "func" && $0.key != "payload" }.sorted { $0.key < $1.key }.map {
            (key: $0.key, value: MsgPackValue(json: $0.value))
        }
    }

    /// The command as JSON, for pending actions and history.
    public var json: JSON {
        var object: [String: JSON] = ["func": .string(function)]
        for field in fields { object[field.key] = field.value.json }
        if let payload {
            object["payload"] = .object(Dictionary(payload.map { ($0.key, JSON.string($0.value)) }, uniquingKeysWith: { $1 }))
        }
        return .object(object)
    }

    /// Sets or replaces a top-level key (`id` for history, `timeout`).
    public mutating func set(_ key: String, _ value: MsgPackValue) {
        fields.removeAll { $0.key == key }
        fields.append((key: key, value: value))
    }

    public func field(_ key: String) -> MsgPackValue? { fields.first { $0.key == key }?.value }
    public func payloadValue(_ key: String) -> String? { payload?.first { $0.key == key }?.value }
}

extension MsgPackValue {
    /// Integral numbers become msgpack integers (the agent's Go ints reject floats).
    public init(json: JSON) {
        switch json {
        case .null: self = .nil
        case .bool(let flag): self = .bool(flag)
        case .number(let number):
            if number.rounded() == number, abs(number) < 9e15 { self = .int(Int64(number)) } else { self = .double(number) }
        case .string(let text): self = .string(text)
        case .array(let items): self = .array(items.map(MsgPackValue.init(json:)))
        case .object(let object):
            self = .map(object.sorted { $0.key < $1.key }.map { MsgPackPair(.string($0.key), MsgPackValue(json: $0.value)) })
        }
    }
}
