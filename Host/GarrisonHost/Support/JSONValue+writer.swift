import JSONWriter

extension JSONValue {
    /// Appends this value's JSON text (JSONWriter: JSONEncoder's text, without its cost).
    func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: JSONWriter.null)
        case .bool(let value): out.append(contentsOf: value ? JSONWriter.true : JSONWriter.false)
        case .number(let value): JSONWriter.number(value, into: &out)
        case .string(let value): JSONWriter.string(value, into: &out)
        case .array(let values): JSONWriter.array(values, into: &out) { $0.write(into: &$1) }
        case .object(let members): JSONWriter.object(members, into: &out) { $0.write(into: &$1) }
        }
    }
}
