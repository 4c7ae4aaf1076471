import JSONWriter

/// JSON text without JSONEncoder: a checkrunner answer of ten checks spent most of its time
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
