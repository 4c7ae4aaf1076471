import CMsgPack

/// Decodes exactly one msgpack value with msgpack-c's unpacker. Anything else -- truncated
/// input, bytes after the value, nesting deeper than msgpack-c's stack, more elements declared
/// than there are bytes (MsgPackCounts) -- is an error, so a garbage payload from the bus can
/// only ever be dropped, never half-read.
public enum MsgPackDecoder {
    public struct DecodeError: Error, CustomStringConvertible, Equatable {
        public let description: String
        package init(description: String) { self.description = description }
    }

    public static func decode(_ bytes: some Collection<UInt8>) throws(DecodeError) -> MsgPackValue {
        let input = Array(bytes)
        guard !input.isEmpty else { throw DecodeError(description: "empty payload") }
        if let problem = input.withUnsafeBufferPointer(MsgPackCounts.problem) { throw DecodeError(description: problem) }
        var unpacked = msgpack_unpacked()
        msgpack_unpacked_init(&unpacked)
        defer { msgpack_unpacked_destroy(&unpacked) }
        var offset = 0
        let status = input.withUnsafeBufferPointer { pointer in
            pointer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: pointer.count) {
                msgpack_unpack_next(&unpacked, $0, pointer.count, &offset)
            }
        }
        switch status {
        case MSGPACK_UNPACK_SUCCESS:
            guard offset == input.count else { throw DecodeError(description: "\(input.count - offset) bytes after the value") }
            return try convert(unpacked.data)
        case MSGPACK_UNPACK_EXTRA_BYTES:
            throw DecodeError(description: "\(input.count - offset) bytes after the value")
        case MSGPACK_UNPACK_CONTINUE:
            throw DecodeError(description: "truncated")
        case MSGPACK_UNPACK_NOMEM_ERROR:
            throw DecodeError(description: "too large")
        default:
            throw DecodeError(description: "malformed")
        }
    }

    private static func convert(_ object: msgpack_object) throws(DecodeError) -> MsgPackValue {
        switch object.type {
        case MSGPACK_OBJECT_NIL: return .nil
        case MSGPACK_OBJECT_BOOLEAN: return .bool(object.via.boolean)
        case MSGPACK_OBJECT_POSITIVE_INTEGER: return .uint(object.via.u64)
        case MSGPACK_OBJECT_NEGATIVE_INTEGER: return .int(object.via.i64)
        case MSGPACK_OBJECT_FLOAT32, MSGPACK_OBJECT_FLOAT64: return .double(object.via.f64)
        case MSGPACK_OBJECT_STR:
            // Agents strip invalid UTF-8 from what they send; anything left is repaired, not fatal.
            return .string(String(decoding: bytes(object.via.str.ptr, object.via.str.size), as: UTF8.self))
        case MSGPACK_OBJECT_BIN:
            return .binary(bytes(object.via.bin.ptr, object.via.bin.size))
        case MSGPACK_OBJECT_ARRAY:
            let array = object.via.array
            var elements: [MsgPackValue] = []
            elements.reserveCapacity(Int(array.size))
            for index in 0..<Int(array.size) { elements.append(try convert(array.ptr[index])) }
            return .array(elements)
        case MSGPACK_OBJECT_MAP:
            let map = object.via.map
            var pairs: [MsgPackPair] = []
            pairs.reserveCapacity(Int(map.size))
            for index in 0..<Int(map.size) {
                pairs.append(MsgPackPair(try convert(map.ptr[index].key), try convert(map.ptr[index].val)))
            }
            return .map(pairs)
        default:
            throw DecodeError(description: "unsupported msgpack type \(object.type.rawValue)")
        }
    }

    private static func bytes(_ pointer: UnsafePointer<CChar>?, _ count: UInt32) -> [UInt8] {
        guard let pointer, count > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: Int(count)) { Array(UnsafeBufferPointer(start: $0, count: Int(count))) }
    }
}
