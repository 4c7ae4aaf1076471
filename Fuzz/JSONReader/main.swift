import FuzzSupport
import JSONText

// JSONReader (PluginAPI/JSONText): request bodies, plugin answers and database JSON all go
// through it. Any byte string must parse or throw, and what parses must survive a trip
// through JSONWriter unchanged (the host writes back what it read).

/// The same shape as the host's JSONValue and PluginKit's JSON, without their modules, so
/// the fuzzer's coverage map is JSONText alone.
enum Tree: JSONReadable, JSONWritable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([Tree]), object([String: Tree])

    init(jsonNode: JSONNode<Tree>) {
        switch jsonNode {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .number(let value): self = .number(value)
        case .string(let value): self = .string(value)
        case .array(let values): self = .array(values)
        case .object(let members): self = .object(members)
        }
    }

    var jsonNode: JSONNode<Tree> {
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

FuzzDriver.run { input in
    guard let tree = try? JSONReader.parse(input, as: Tree.self) else { return }
    let written = tree.jsonBytes
    let again: Tree
    do { again = try JSONReader.parse(written, as: Tree.self) } catch {
        fatalError("JSONWriter wrote text JSONReader refuses (\(error)): \(String(decoding: written, as: UTF8.self))")
    }
    precondition(again == tree, "the round trip changed the value: \(String(decoding: written, as: UTF8.self))")
}
