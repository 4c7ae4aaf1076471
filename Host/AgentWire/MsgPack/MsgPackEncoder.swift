import CMsgPack

/// Encodes a `MsgPackValue` with msgpack-c's packer, which picks the smallest format for
/// every integer, string, array and map header -- the same choices Python's msgpack makes,
/// which is what Tactical RMM's server sends the agents.
public enum MsgPackEncoder {
    public static func encode(_ value: MsgPackValue) -> [UInt8] {
        var buffer = msgpack_sbuffer()
        msgpack_sbuffer_init(&buffer)
        defer { msgpack_sbuffer_destroy(&buffer) }
        var packer = msgpack_packer()
        withUnsafeMutablePointer(to: &buffer) { bufferPointer in
            msgpack_packer_init(&packer, UnsafeMutableRawPointer(bufferPointer), garrison_msgpack_sbuffer_writer())
            pack(value, into: &packer)
        }
        guard let data = buffer.data, buffer.size > 0 else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: buffer.size) { Array(UnsafeBufferPointer(start: $0, count: buffer.size)) }
    }

    private static func pack(_ value: MsgPackValue, into packer: inout msgpack_packer) {
        switch value {
        case .nil: msgpack_pack_nil(&packer)
        case .bool(let flag): _ = flag ? msgpack_pack_true(&packer) : msgpack_pack_false(&packer)
        case .int(let number): msgpack_pack_int64(&packer, number)
        case .uint(let number): msgpack_pack_uint64(&packer, number)
        case .double(let number): msgpack_pack_double(&packer, number)
        case .string(let text):
            var utf8 = Array(text.utf8)
            msgpack_pack_str(&packer, utf8.count)
            utf8.withUnsafeMutableBytes { _ = msgpack_pack_str_body(&packer, $0.baseAddress, $0.count) }
        case .binary(let bytes):
            msgpack_pack_bin(&packer, bytes.count)
            bytes.withUnsafeBytes { _ = msgpack_pack_bin_body(&packer, $0.baseAddress, $0.count) }
        case .array(let elements):
            msgpack_pack_array(&packer, elements.count)
            for element in elements { pack(element, into: &packer) }
        case .map(let pairs):
            msgpack_pack_map(&packer, pairs.count)
            for pair in pairs {
                pack(pair.key, into: &packer)
                pack(pair.value, into: &packer)
            }
        }
    }
}
