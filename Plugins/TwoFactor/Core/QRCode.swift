import CQREncode

/// A QR code symbol from libqrencode, as a square of dark/light modules.
public struct QRCode: Sendable {
    public let width: Int
    /// Row-major, true = dark.
    public let modules: [Bool]

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Encodes `text` as 8-bit data, error correction level M, smallest version that fits.
    public init(_ text: String) throws {
        guard let symbol = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M) else {
            throw Failure(description: "libqrencode could not encode \(text.utf8.count) bytes")
        }
        defer { QRcode_free(symbol) }
        let width = Int(symbol.pointee.width)
        let data = symbol.pointee.data!
        self.width = width
        // Bit 0 of each byte is the module's colour; the other bits are libqrencode's own.
        self.modules = (0..<(width * width)).map { data[$0] & 1 == 1 }
    }

    public func isDark(_ x: Int, _ y: Int) -> Bool { modules[y * width + x] }

    /// An SVG drawing: one path of unit squares, `quietZone` modules of margin,
    /// scaled to `scale` pixels per module.
    public func svg(scale: Int = 6, quietZone: Int = 4) -> String {
        let size = width + 2 * quietZone
        var path = ""
        for y in 0..<width {
            var x = 0
            while x < width {
                guard isDark(x, y) else { x += 1; continue }
                var run = 1
                while x + run < width, isDark(x + run, y) { run += 1 }
                path += "M\(x + quietZone) \(y + quietZone)h\(run)v1h-\(run)z"
                x += run
            }
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(size * scale)" height="\(size * scale)" \
            viewBox="0 0 \(size) \(size)" shape-rendering="crispEdges">\
            <rect width="\(size)" height="\(size)" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
    }

    /// A greyscale PNG, `scale` pixels per module, `quietZone` modules of white margin.
    public func png(scale: Int = 6, quietZone: Int = 4) throws -> [UInt8] {
        let side = (width + 2 * quietZone) * scale
        var pixels = [UInt8](repeating: 255, count: side * side)
        for y in 0..<width {
            for x in 0..<width where isDark(x, y) {
                for dy in 0..<scale {
                    let row = ((y + quietZone) * scale + dy) * side
                    for dx in 0..<scale { pixels[row + (x + quietZone) * scale + dx] = 0 }
                }
            }
        }
        return try PNG.greyscale(width: side, height: side, pixels: pixels)
    }
}
