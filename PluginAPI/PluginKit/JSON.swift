#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
// JSON itself lives in JSONText, shared with the host; a plugin that imports PluginKit sees it.
@_exported import JSONText

extension JSON {
    /// Parses JSON text; throws `PluginError(.invalid, ...)` on malformed input.
    public init(parsing data: Data) throws {
        do {
            self = try JSONReader.parse(data)
        } catch {
            throw PluginError(.invalid, "malformed JSON: \(error)")
        }
    }

    /// Decodes this value into a Codable type.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONCoding.decoder.decode(T.self, from: JSONCoding.encode(self))
    }
}
