import CZlib

/// A minimal PNG encoder (ISO/IEC 15948): 8-bit greyscale, no interlace, filter
/// type 0 on every row, the image data deflated by zlib in one IDAT chunk.
public enum PNG {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// `pixels` holds width*height grey levels, row-major (0 black, 255 white).
    public static func greyscale(width: Int, height: Int, pixels: [UInt8]) throws -> [UInt8] {
        precondition(pixels.count == width * height && width > 0 && height > 0)
        // Each scanline starts with its filter type byte (0 = none).
        var raw = [UInt8]()
        raw.reserveCapacity((width + 1) * height)
        for y in 0..<height {
            raw.append(0)
            raw.append(contentsOf: pixels[(y * width)..<((y + 1) * width)])
        }
        var header = [UInt8]()
        header += bigEndian(UInt32(width))
        header += bigEndian(UInt32(height))
        header += [8, 0, 0, 0, 0]  // bit depth 8, colour type 0 (grey), deflate, filter 0, no interlace
        var out = signature
        out += chunk("IHDR", header)
        out += chunk("IDAT", try deflate(raw))
        out += chunk("IEND", [])
        return out
    }

    /// A zlib stream (RFC 1950) of `data`, as PNG's IDAT wants.
    static func deflate(_ data: [UInt8]) throws -> [UInt8] {
        var length = compressBound(uLong(data.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let rc = compress2(&out, &length, data, uLong(data.count), Z_BEST_COMPRESSION)
        guard rc == Z_OK else { throw Failure(description: "zlib compress2 failed (\(rc))") }
        return Array(out.prefix(Int(length)))
    }

    /// length, type, data, CRC-32 of type and data.
    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        let crc = typed.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        return bigEndian(UInt32(data.count)) + typed + bigEndian(UInt32(crc))
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
    }
}
