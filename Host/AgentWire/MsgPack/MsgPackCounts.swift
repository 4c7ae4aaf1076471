/// msgpack-c allocates an array or map for the element count its header declares before it
/// has seen a single element, so five bytes (`0xdd` and a 32-bit count) made the host ask for
/// gigabytes (found by Fuzz/AgentMsgPack). This walk runs first: every element takes at least
/// one byte, so a message may declare no more elements than it has bytes left. Headers only,
/// no recursion, no allocation.
package enum MsgPackCounts {
    /// nil when every declared count and length fits the bytes; otherwise what does not.
    package static func problem(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var index = 0
        // Elements still to read for the containers open so far (the first value is one).
        var pending = 1
        while pending > 0, index < bytes.count {
            pending -= 1
            let byte = bytes[index]
            index += 1
            var skip = 0
            var elements = 0
            switch byte {
            case 0x00...0x7F, 0xC0, 0xC2, 0xC3, 0xE0...0xFF: break
            case 0x80...0x8F: elements = Int(byte & 0x0F) * 2
            case 0x90...0x9F: elements = Int(byte & 0x0F)
            case 0xA0...0xBF: skip = Int(byte & 0x1F)
            case 0xC4, 0xD9: skip = read(bytes, &index, 1)
            case 0xC5, 0xDA: skip = read(bytes, &index, 2)
            case 0xC6, 0xDB: skip = read(bytes, &index, 4)
            case 0xC7: skip = read(bytes, &index, 1) + 1
            case 0xC8: skip = read(bytes, &index, 2) + 1
            case 0xC9: skip = read(bytes, &index, 4) + 1
            case 0xCA: skip = 4
            case 0xCB: skip = 8
            case 0xCC, 0xD0: skip = 1
            case 0xCD, 0xD1: skip = 2
            case 0xCE, 0xD2: skip = 4
            case 0xCF, 0xD3: skip = 8
            case 0xD4: skip = 2
            case 0xD5: skip = 3
            case 0xD6: skip = 5
            case 0xD7: skip = 9
            case 0xD8: skip = 17
            case 0xDC: elements = read(bytes, &index, 2)
            case 0xDD: elements = read(bytes, &index, 4)
            case 0xDE: elements = read(bytes, &index, 2) * 2
            case 0xDF: elements = read(bytes, &index, 4) * 2
            default: return nil  // 0xC1, never used: msgpack-c says it is malformed
            }
            let left = bytes.count - index
            if skip > left { return nil }  // truncated: msgpack-c says so, without a large allocation
            index += skip
            // Counts are at most 2 * (2^32 - 1) and `pending` never exceeds the input's length,
            // so the sum cannot overflow.
            pending += elements
            if pending > bytes.count - index {
                return "declares \(elements) elements but only \(bytes.count - index) bytes follow"
            }
        }
        return nil
    }

    /// A big-endian count of `width` bytes, or 0 when the input ends first (then the caller
    /// sees a truncated value, as msgpack-c will).
    private static func read(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int, _ width: Int) -> Int {
        guard bytes.count - index >= width else {
            index = bytes.count
            return 0
        }
        var value = 0
        for _ in 0..<width {
            value = value << 8 | Int(bytes[index])
            index += 1
        }
        return value
    }
}
