import Foundation
import GarrisonHost
import Logging

/// A private PostgreSQL for one benchmark run, in a temporary folder, removed afterwards.
struct BenchDatabase {
    let cluster: EmbeddedPostgres
    let root: URL

    static func start() throws -> BenchDatabase {
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-bench-\(getpid())")
        try? FileManager.default.removeItem(at: root)
        let cluster = EmbeddedPostgres(root: root.appendingPathComponent("postgres"), logger: Logger(label: "bench-pg"))
        try cluster.start()
        return BenchDatabase(cluster: cluster, root: root)
    }

    func stop() {
        cluster.stop(immediate: true)
        try? FileManager.default.removeItem(at: root)
    }
}

/// wrk's summary, read from its --latency output.
struct WrkResult {
    var requestsPerSecond: Double = 0
    var p50: String = "?"
    var p99: String = "?"
    var non2xx = 0
    /// Requests completed in the run.
    var requests = 0
    /// wrk's "Socket errors" line (connect, read, write, timeout), or "" when there were none.
    var socketErrors = ""
    var raw = ""

    /// `script` is a wrk Lua script that builds each request; one that passes its own headers
    /// to wrk.format replaces the default Authorization header.
    /// `headers` are added to wrk's default request (a script's own wrk.format calls set theirs).
    static func run(
        url: String, token: String, threads: Int, connections: Int, seconds: Int, script: String? = nil, headers: [String] = []
    ) throws -> WrkResult {
        guard let wrk = Subprocess.which("wrk", extraDirectories: ["/usr/local/bin"]) else {
            throw BenchError("wrk is not installed: apt-get install wrk")
        }
        var arguments = ["-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency", "-H", "Authorization: Token \(token)"]
        for header in headers { arguments += ["-H", header] }
        if let script { arguments += ["-s", script] }
        let output = try Subprocess.run(wrk, arguments + [url])
        var result = WrkResult(raw: output.output)
        for line in output.output.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("Requests/sec:"), let value = parts.last.flatMap({ Double($0) }) { result.requestsPerSecond = value }
            if line.hasPrefix("50%"), let value = parts.last { result.p50 = String(value) }
            if line.hasPrefix("99%"), let value = parts.last { result.p99 = String(value) }
            if line.hasPrefix("Non-2xx"), let value = parts.last.flatMap({ Int($0) }) { result.non2xx = value }
            if line.contains(" requests in "), let value = parts.first.flatMap({ Int($0) }) { result.requests = value }
            if line.hasPrefix("Socket errors:") { result.socketErrors = String(line.dropFirst("Socket errors:".count)).trimmingCharacters(in: .whitespaces) }
        }
        return result
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
