import FuzzSupport
import JSONText

// JSONReader (PluginAPI/JSONText): request bodies, plugin answers and database JSON all go
// through it. Any byte string must parse or throw, and what parses must survive a trip
// through JSONWriter unchanged (the host writes back what it read).

FuzzDriver.run { input in
    guard let tree = try? JSONReader.parse(input, as: JSON.self) else { return }
    let written = tree.jsonBytes
    let again: JSON
    do { again = try JSONReader.parse(written, as: JSON.self) } catch {
        fatalError("JSONWriter wrote text JSONReader refuses (\(error)): \(String(decoding: written, as: UTF8.self))")
    }
    precondition(again == tree, "the round trip changed the value: \(String(decoding: written, as: UTF8.self))")
}
