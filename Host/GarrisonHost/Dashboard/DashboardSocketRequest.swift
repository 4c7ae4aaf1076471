import COpenSSL
import Foundation
import NIOCore

/// The opening handshake of a dashboard websocket (`GET /ws/...` with `Upgrade: websocket`),
/// read from the raw request head before the HTTP pipeline sees it: the path, the token
/// (Tactical RMM's `?access_token=`, everything after it), and the accept key to answer.
struct DashboardSocketRequest: Sendable, Equatable {
    let path: String
    let token: String?
    let key: String
    let version: String

    static let prefix = Array("GET /ws/".utf8)

    /// Whether `head` starts like a dashboard socket's request (or may, with more bytes).
    static func mayBe(_ head: ByteBuffer) -> Bool {
        let bytes = head.readableBytesView
        for (offset, expected) in prefix.enumerated() {
            guard offset < bytes.count else { return true }
            if bytes[bytes.startIndex + offset] != expected { return false }
        }
        return true
    }

    enum Parse: Equatable {
        case undecided
        /// Not a websocket upgrade: plain HTTP (which answers 404 for /ws/ paths).
        case http
        /// The request and the number of head bytes it took.
        case upgrade(DashboardSocketRequest, headLength: Int)
    }

    /// `searched`: bytes already known to hold no end of head; updated, so a head sent a byte
    /// at a time costs linear time.
    static func parse(_ head: ByteBuffer, searched: inout Int, maxHead: Int) -> Parse {
        let bytes = head.readableBytesView
        guard let end = headEnd(bytes, from: searched) else {
            searched = bytes.count
            return bytes.count > maxHead ? .http : .undecided
        }
        let text = String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: true)
        guard let requestLine = lines.first else { return .http }
        let parts = requestLine.split(separator: " ")
        guard parts.count == 3, parts[0] == "GET" else { return .http }
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()] =
                line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard fields["upgrade"]?.lowercased().contains("websocket") == true else { return .http }
        let target = String(parts[1])
        let path: String
        var token: String?
        if let question = target.firstIndex(of: "?") {
            path = String(target[..<question])
            let query = target[target.index(after: question)...]
            // Tactical RMM takes everything after "access_token=" as the token.
            if let range = query.range(of: "access_token=") {
                let raw = String(query[range.upperBound...])
                token = raw.removingPercentEncoding ?? raw
            }
        } else {
            path = target
        }
        return .upgrade(
            DashboardSocketRequest(
                path: path, token: token.flatMap { $0.isEmpty ? nil : $0 }, key: fields["sec-websocket-key"] ?? "",
                version: fields["sec-websocket-version"] ?? ""),
            headLength: end)
    }

    private static func headEnd(_ bytes: ByteBufferView, from searched: Int) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var index = bytes.startIndex + max(0, min(searched, bytes.count) - 3)
        while index + 3 < bytes.endIndex {
            if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 {
                return index + 4 - bytes.startIndex
            }
            index += 1
        }
        return nil
    }

    /// RFC 6455's Sec-WebSocket-Accept: base64(SHA-1(key + the protocol's GUID)).
    static func acceptValue(_ key: String) -> String {
        let input = Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)
        var digest = [UInt8](repeating: 0, count: Int(SHA_DIGEST_LENGTH))
        input.withUnsafeBufferPointer { buffer in
            digest.withUnsafeMutableBufferPointer { out in _ = SHA1(buffer.baseAddress, buffer.count, out.baseAddress) }
        }
        return Data(digest).base64EncodedString()
    }

    /// A well-formed key is 16 bytes in base64; version 13 is the only one RFC 6455 defines.
    var isValidHandshake: Bool { version == "13" && Data(base64Encoded: key)?.count == 16 }
}
