import Foundation
import Testing
import TwoFactorCore

@Suite struct QRTests {
    static func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-2fa-\(UUID().uuidString)-\(name)")
        try Data(bytes).write(to: url)
        return url
    }

    @Test func pngIsReadBackByZbarAsTheExactURI() throws {
        let secret = try Random.bytes(20)
        let uri = OTPAuthURI.make(issuer: "Garrison RMM", account: "alice@example.com", secret: secret, totp: TOTP(secret: secret))
        #expect(uri.hasPrefix("otpauth://totp/Garrison%20RMM:alice%40example.com?secret=\(Base32.encode(secret))&issuer=Garrison%20RMM"))
        let png = try QRCode(uri).png()
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let file = try Self.temporaryFile("qr.png", png)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try Tool.zbar(file.path) == uri)
    }

    @Test func pngChunksCarryValidCRCs() throws {
        // Python's zlib checks each chunk's CRC and inflates IDAT independently of our encoder.
        let png = try QRCode("otpauth://totp/x:y?secret=AAAA").png(scale: 2)
        let file = try Self.temporaryFile("crc.png", png)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = """
            import sys, struct, zlib
            d = open(sys.argv[1], 'rb').read(); i = 8; idat = b''
            while i < len(d):
                n, = struct.unpack('>I', d[i:i+4]); t = d[i+4:i+8]; body = d[i+8:i+8+n]
                assert zlib.crc32(t + body) == struct.unpack('>I', d[i+8+n:i+12+n])[0], t
                if t == b'IDAT': idat += body
                if t == b'IHDR': w, h = struct.unpack('>II', body[:8])
                i += 12 + n
            raw = zlib.decompress(idat); assert len(raw) == h * (w + 1); print(w, h)
            """
        let out = try Tool.run(["python3", "-c", script, file.path])
        #expect(out.split(separator: " ").count == 2)
    }

    @Test func svgDrawsEveryDarkModule() throws {
        let qr = try QRCode("otpauth://totp/a:b?secret=ABCDEFGH")
        let svg = qr.svg()
        #expect(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>"))
        #expect(svg.contains("viewBox=\"0 0 \(qr.width + 8) \(qr.width + 8)\""))
        // Each horizontal run is "M.. ..h<run>v1h-<run>z": the run lengths add up to the dark modules.
        let runs = svg.split(separator: "h").compactMap { part -> Int? in
            let digits = part.prefix { $0.isNumber }
            return part.hasPrefix("-") ? nil : (digits.isEmpty ? nil : Int(digits))
        }
        #expect(runs.reduce(0, +) == qr.modules.filter { $0 }.count)
    }
}
