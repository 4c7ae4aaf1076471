import JSONText

/// JSON text without JSONEncoder or JSONDecoder (JSONWriter gives the same text, without Codable's cost).
extension JSONValue: JSONWritable {
    public var jsonNode: JSONNode<JSONValue> {
        switch self {
        case .null: .null
        case .bool(let value): .bool(value)
        case .number(let value): .number(value)
        case .string(let value): .string(value)
        case .array(let values): .array(values)
        case .object(let members): .object(members)
        }
    }
}

extension JSONValue: JSONReadable {
    public init(jsonNode: JSONNode<JSONValue>) {
        switch jsonNode {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .number(let value): self = .number(value)
        case .string(let value): self = .string(value)
        case .array(let values): self = .array(values)
        case .object(let members): self = .object(members)
        }
    }
}
