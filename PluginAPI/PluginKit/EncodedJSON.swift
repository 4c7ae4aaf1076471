#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// JSON already encoded once, passed to the host as it is. A plugin that sends the same
/// command to thousands of agents encodes it once instead of once per agent.
public struct EncodedJSON: Encodable, Sendable {
    public let data: Data

    public init(_ value: some Encodable) throws {
        data = try JSONCoding.encode(value)
    }

    /// Only used when an EncodedJSON sits inside another value: it is decoded and written
    /// again, which gives the same JSON.
    public func encode(to encoder: any Encoder) throws {
        try JSON(parsing: data).encode(to: encoder)
    }
}
