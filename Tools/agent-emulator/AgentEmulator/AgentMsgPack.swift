import AgentWire
import NIOCore

/// Encodes as the real agent's msgpack library does (ugorji go/codec, MsgpackHandle with
/// its defaults; docs/agent-protocol.md §3): strings in the old "raw" family -- fixstr, then
/// str16 (0xda) and str32, never str8 (0xd9) -- non-negative integers in the smallest
/// unsigned form, negative ones in the smallest signed form, floats as float64. Kept apart
/// from the host's encoder (msgpack-c, which does use str8) on purpose: the emulator must
/// send what an agent sends, not what the host would.
public enum AgentMsgPack {
    public static func encode(_ value: MsgPackValue) -> ByteBuffer {
        var buffer = ByteBuffer()
        write(value, into: &buffer)
        return buffer
    }

    public static func write(_ value: MsgPackValue, into buffer: inout ByteBuffer) {
        switch value {
        case .nil: buffer.writeInteger(UInt8(0xc0))
        case .bool(let flag): buffer.writeInteger(flag ? UInt8(0xc3) : UInt8(0xc2))
        case .int(let number):
            if number >= 0 { writeUnsigned(UInt64(number), into: &buffer) } else { writeSigned(number, into: &buffer) }
        case .uint(let number): writeUnsigned(number, into: &buffer)
        case .double(let number):
            buffer.writeInteger(UInt8(0xcb))
            buffer.writeInteger(number.bitPattern)
        case .string(let text):
            writeRawHeader(text.utf8.count, into: &buffer)
            buffer.writeString(text)
        case .binary(let bytes):
            // ugorji without WriteExt writes []byte in the raw family too.
            writeRawHeader(bytes.count, into: &buffer)
            buffer.writeBytes(bytes)
        case .array(let elements):
            writeHeader(elements.count, fix: 0x90, sixteen: 0xdc, thirtyTwo: 0xdd, into: &buffer)
            for element in elements { write(element, into: &buffer) }
        case .map(let pairs):
            writeHeader(pairs.count, fix: 0x80, sixteen: 0xde, thirtyTwo: 0xdf, into: &buffer)
            for pair in pairs {
                write(pair.key, into: &buffer)
                write(pair.value, into: &buffer)
            }
        }
    }

    /// fixstr, str16, str32: the msgpack spec before str8 existed, as ugorji writes it.
    private static func writeRawHeader(_ count: Int, into buffer: inout ByteBuffer) {
        if count < 32 {
            buffer.writeInteger(UInt8(0xa0 | count))
        } else if count <= 0xffff {
            buffer.writeInteger(UInt8(0xda))
            buffer.writeInteger(UInt16(count))
        } else {
            buffer.writeInteger(UInt8(0xdb))
            buffer.writeInteger(UInt32(count))
        }
    }

    private static func writeHeader(_ count: Int, fix: UInt8, sixteen: UInt8, thirtyTwo: UInt8, into buffer: inout ByteBuffer) {
        if count < 16 {
            buffer.writeInteger(fix | UInt8(count))
        } else if count <= 0xffff {
            buffer.writeInteger(sixteen)
            buffer.writeInteger(UInt16(count))
        } else {
            buffer.writeInteger(thirtyTwo)
            buffer.writeInteger(UInt32(count))
        }
    }

    private static func writeUnsigned(_ number: UInt64, into buffer: inout ByteBuffer) {
        switch number {
        case 0..<0x80: buffer.writeInteger(UInt8(number))
        case 0x80...0xff: buffer.writeInteger(UInt8(0xcc)); buffer.writeInteger(UInt8(number))
        case 0x100...0xffff: buffer.writeInteger(UInt8(0xcd)); buffer.writeInteger(UInt16(number))
        case 0x10000...0xffff_ffff: buffer.writeInteger(UInt8(0xce)); buffer.writeInteger(UInt32(number))
        default: buffer.writeInteger(UInt8(0xcf)); buffer.writeInteger(number)
        }
    }

    private static func writeSigned(_ number: Int64, into buffer: inout ByteBuffer) {
        switch number {
        case -32..<0: buffer.writeInteger(Int8(number))
        case -0x80 ..< -32: buffer.writeInteger(UInt8(0xd0)); buffer.writeInteger(Int8(number))
        case -0x8000 ..< -0x80: buffer.writeInteger(UInt8(0xd1)); buffer.writeInteger(Int16(number))
        case -0x8000_0000 ..< -0x8000: buffer.writeInteger(UInt8(0xd2)); buffer.writeInteger(Int32(number))
        default: buffer.writeInteger(UInt8(0xd3)); buffer.writeInteger(number)
        }
    }
}
