import JSONText

/// JSON text without JSONEncoder or JSONDecoder: a checkrunner answer of ten checks spent most of its time
/// encoding. JSONWriter gives the text JSONCoding's encoder gives.
extension JSON: JSONWritable {
    public var jsonNode: JSONNode<JSON> {
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

extension JSON: JSONReadable {
    public init(jsonNode: JSONNode<JSON>) {
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
