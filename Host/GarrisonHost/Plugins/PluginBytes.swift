import CGarrisonPlugin
import Foundation

/// Reading the plugin's borrowed (ptr, len) pairs. The host copies everything it keeps, so
/// these helpers always produce owned Swift values.
extension garrison_bytes {
    /// A `{NULL, n > 0}` value is a plugin bug; callers answer GARRISON_ERR_INVALID.
    var isMalformed: Bool { ptr == nil && len > 0 }

    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: ptr, count: ptr == nil ? 0 : len) }

    /// The bytes as text when they are valid UTF-8; nil otherwise.
    var string: String? {
        if isMalformed { return nil }
        return String(validating: buffer, as: UTF8.self)
    }

    /// The bytes as text, with invalid UTF-8 replaced (log lines only).
    var lossyString: String { String(decoding: buffer, as: UTF8.self) }

    var data: Data { Data(buffer) }

    static var empty: garrison_bytes { garrison_bytes(ptr: nil, len: 0) }
}

/// Owned bytes at a fixed address, handed to a plugin as a borrowed `garrison_bytes` (settings,
/// header and parameter values). The address stays valid for this object's lifetime.
final class PinnedBytes: @unchecked Sendable {
    // Written once in init, read-only afterwards: safe to share.
    private let storage: UnsafeMutableBufferPointer<UInt8>

    init<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        storage = .allocate(capacity: max(1, bytes.count))
        _ = storage.initialize(from: bytes)
        count = bytes.count
    }

    convenience init(_ text: String) { self.init(Array(text.utf8)) }

    let count: Int

    var bytes: garrison_bytes { garrison_bytes(ptr: UnsafePointer(storage.baseAddress), len: count) }

    deinit { storage.deallocate() }
}

/// JSON text written by hand on hot paths (requests, rows), where building a `JSON`
/// and encoding it would cost more than the plugin call itself.
enum JSONText {
    static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + String(scalar.value, radix: 16).leftPadded(to: 2)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
        return out
    }

    static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { quoted($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    static func stringObject(_ values: [String: String]) -> String {
        if values.isEmpty { return "{}" }
        return object(values.sorted { $0.key < $1.key }.map { ($0.key, quoted($0.value)) })
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
