import Foundation

/// Runs an outside program and returns its standard output (trimmed), or throws with its output.
enum Tool {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(errors)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// pyotp's codes for a base32 secret at each unix time, an independent implementation.
    static func pyotp(_ secret: String, at times: [Int64], digits: Int = 6, period: Int = 30) throws -> [String] {
        let script =
            "import pyotp,sys; t=pyotp.TOTP(sys.argv[1], digits=int(sys.argv[2]), interval=int(sys.argv[3])); print(' '.join(t.at(int(x)) for x in sys.argv[4:]))"
        let output = try run(["python3", "-c", script, secret, String(digits), String(period)] + times.map(String.init))
        return output.split(separator: " ").map(String.init)
    }

    /// zbarimg's reading of an image file: the QR code's text.
    static func zbar(_ path: String) throws -> String {
        try run(["zbarimg", "--quiet", "--raw", path])
    }
}
