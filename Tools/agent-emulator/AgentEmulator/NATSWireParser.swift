import Foundation
import NIOCore

/// What nats-server says to a client (the NATS client protocol), parsed from a byte stream:
/// websocket frames may cut a message anywhere, so bytes are appended and whole messages
/// taken off the front.
struct NATSWireParser {
    enum Message: Equatable {
        case info(String)
        case msg(subject: String, reply: String?, payload: ByteBuffer)
        case ping
        case pong
        case ok
        case err(String)
    }

    struct ProtocolError: Error, CustomStringConvertible {
        let description: String
    }

    private var pending = ByteBuffer()

    mutating func append(_ bytes: ByteBuffer) {
        var bytes = bytes
        if pending.readableBytes == 0 {
            pending = bytes
        } else {
            pending.writeBuffer(&bytes)
        }
    }

    /// The next whole message, nil when more bytes are needed.
    mutating func next() throws -> Message? {
        let view = pending.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if view.count > 64 * 1024 { throw ProtocolError(description: "control line longer than 64 KiB") }
            return nil
        }
        let lineLength = newline - view.startIndex + 1
        var line = Substring(String(decoding: view[view.startIndex..<newline], as: UTF8.self))
        if line.hasSuffix("\r") { line = line.dropLast() }
        let op = line.prefix { $0 != " " && $0 != "\t" }.uppercased()
        switch op {
        case "MSG":
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 4 || fields.count == 5, let size = Int(fields[fields.count - 1]), size >= 0 else {
                throw ProtocolError(description: "bad MSG line: \(line.prefix(200))")
            }
            // The payload and its CRLF must be here too.
            guard pending.readableBytes >= lineLength + size + 2 else { return nil }
            pending.moveReaderIndex(forwardBy: lineLength)
            let payload = pending.readSlice(length: size)!
            pending.moveReaderIndex(forwardBy: 2)
            return .msg(subject: String(fields[1]), reply: fields.count == 5 ? String(fields[3]) : nil, payload: payload)
        case "PING": pending.moveReaderIndex(forwardBy: lineLength); return .ping
        case "PONG": pending.moveReaderIndex(forwardBy: lineLength); return .pong
        case "+OK": pending.moveReaderIndex(forwardBy: lineLength); return .ok
        case "-ERR":
            pending.moveReaderIndex(forwardBy: lineLength)
            return .err(
                String(line.dropFirst(4).trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "'"))))
        case "INFO":
            pending.moveReaderIndex(forwardBy: lineLength)
            return .info(String(line.dropFirst(4)).trimmingCharacters(in: .whitespaces))
        default:
            throw ProtocolError(description: "unknown NATS operation: \(line.prefix(200))")
        }
    }
}
