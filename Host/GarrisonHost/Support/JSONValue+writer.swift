import JSONWriter

/// JSON text without JSONEncoder (JSONWriter gives the same text, without Codable's cost).
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
