import ArgumentParser
import Foundation
import GarrisonHost
import NIOCore

/// `garrison-bench slowloris`: 1,000 slow connections from one address (raw TCP without a
/// TLS handshake, TLS with half a request head, TLS with a half-sent GET /natsws), reopened
/// as the host cuts them, while one normal client (wrk, one keep-alive TLS connection)
/// times authenticated GET /core/version/. Prints the normal client's latency with and
/// without them, and what the host cut, when and why.
///
/// The slow connections come from 127.0.0.2 and the normal client from 127.0.0.1 (both
/// loopback). The per-address cap (`server.max_connections_per_address`, 2048 by default)
/// counts by source address: with everything on 127.0.0.1 the slow connections would fill
/// the normal client's own slots and it would be refused at accept. By default the cap is
/// also raised well above the slow count for the run, so the host really holds all of them
/// and only its deadlines end them (the harder case); `--cap 256` shows a cap at work.
struct SlowlorisBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slowloris", abstract: "Normal GET latency while 1,000 slow connections from one address are held open.")

    @Option(help: "Slow connections to hold (a third of each kind).") var connections = 1000
    @Option(help: "server.max_connections_per_address for the run (default: twice the slow count + 100; 2048 is the shipped default).")
    var cap: Int?
    @Option(help: "Loopback source address of the slow connections.") var slowAddress = "127.0.0.2"
    @Option(help: "Seconds the normal client runs while the slow connections are held (covers the 10 s and 15 s deadlines).") var seconds =
        30
    @Option(help: "Seconds of the normal client alone, before.") var baselineSeconds = 10
    @Option(help: "New slow connections per second while opening them.") var openRate = 500
    @Option(help: "Seconds before a cut slow connection is opened again.") var reopenDelay = 0.5

    func run() async throws {
        // Each slow connection takes a descriptor here and one in the host (same process), and
        // a cut TLS one lingers in the host for up to 5 s while a new one is opened.
        let limit = FileLimit.raiseToHard()
        let count = min(connections, max(0, (limit - 300) / 3))
        // Twice the slow count: a TLS connection cut at its deadline keeps its socket and its
        // slot until the client answers close_notify or NIOSSL's shutdown timeout (5 s) passes,
        // so reopened ones would otherwise meet the cap.
        let cap = self.cap ?? max(256, 2 * count + 100)
        print(
            "garrison-bench slowloris: \(count) slow connections from \(slowAddress), normal client from 127.0.0.1 (open-file limit \(limit)); server.max_connections_per_address = \(cap); 2 cores shared by host, PostgreSQL, wrk and the slow clients"
        )
        if count < connections { print("  (fewer than the \(connections) asked: the open-file limit allows \(count))") }

        let host = try await BenchHost.start { $0.maxConnectionsPerAddress = cap }
        defer { host.database.stop() }
        let config = host.config
        print(
            "host deadlines: tls_handshake \(config.tlsHandshakeTimeoutSeconds) s, request_head \(config.requestHeadTimeoutSeconds) s, idle \(config.idleTimeoutSeconds) s, body \(config.bodyTimeoutSeconds) s"
        )
        let port = URL(string: host.base)!.port!
        let url = "\(host.base)/core/version/"

        let alone = try await Self.wrk(url: url, token: host.token, seconds: baselineSeconds)
        print("normal client alone:       \(alone.summary)")
        let cutBefore = try Self.cutCounts(host)

        let slow = try SlowClients(
            target: try SocketAddress(ipAddress: "127.0.0.1", port: port),
            source: try SocketAddress(ipAddress: slowAddress, port: 0),
            reopenDelay: .milliseconds(Int64(reopenDelay * 1000)))
        let attackStart = ContinuousClock.now
        for index in 0..<count {
            slow.open(SlowKind.allCases[index % SlowKind.allCases.count])
            if (index + 1) % max(1, openRate / 10) == 0 { try await Task.sleep(for: .milliseconds(100)) }
        }
        // Wait until they are up (or the host refused some: then there is no point waiting long).
        let openDeadline = ContinuousClock.now + .seconds(10)
        while slow.snapshot.open + slow.snapshot.closed.count + slow.snapshot.connectFailures < count, ContinuousClock.now < openDeadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let up = slow.snapshot
        print(
            String(
                format: "slow connections: %d open %.1f s after the first (%d already closed by the host, %d connects failed)",
                up.open, (ContinuousClock.now - attackStart).seconds, up.closed.count, up.connectFailures))

        // The normal client while the slow ones are held; sample how many are open meanwhile.
        let sampler = Task {
            var samples: [Int] = []
            while !Task.isCancelled {
                samples.append(slow.snapshot.open)
                try? await Task.sleep(for: .milliseconds(250))
            }
            return samples
        }
        let loaded = try await Self.wrk(url: url, token: host.token, seconds: seconds)
        sampler.cancel()
        let samples = await sampler.value
        print("normal client with them:   \(loaded.summary)")
        print(
            String(
                format: "  slow connections open during that run: min %d, mean %.0f, max %d (reopened %.1f s after each cut)",
                samples.min() ?? 0, Double(samples.reduce(0, +)) / Double(max(1, samples.count)), samples.max() ?? 0, reopenDelay))

        // Let the last ones run into their deadlines, then see what was cut and when.
        slow.stopReopening()
        let longest = max(config.tlsHandshakeTimeoutSeconds, config.requestHeadTimeoutSeconds) + 5
        let drainDeadline = ContinuousClock.now + .seconds(longest)
        while slow.snapshot.open > 0, ContinuousClock.now < drainDeadline { try await Task.sleep(for: .milliseconds(100)) }
        let final = slow.snapshot
        await slow.end()
        print(
            String(
                format: "slow connections closed by the host over %.0f s (first opened to last cut), by kind, lifetime from connect:",
                (ContinuousClock.now - attackStart).seconds))
        let early = Double(min(config.tlsHandshakeTimeoutSeconds, config.requestHeadTimeoutSeconds)) / 2
        for kind in SlowKind.allCases {
            // Closed well before the shortest deadline: refused at accept by the per-address
            // cap (seen late when the host is busy); the rest ran into a deadline.
            let all = final.closed.filter { $0.kind == kind }.map(\.lifetime)
            let lifetimes = all.filter { $0 >= early }.sorted()
            let atOnce = all.count - lifetimes.count
            let refused = atOnce > 0 ? String(format: ", %d closed within %.0f s of connecting (per-address cap)", atOnce, early) : ""
            guard !lifetimes.isEmpty else { print("  \(kind.label): none cut at a deadline\(refused)"); continue }
            print(
                String(
                    format: "  %@: %d cut at a deadline, lifetime min %.2f s, median %.2f s, max %.2f s%@", kind.label, lifetimes.count,
                    lifetimes[0], lifetimes[lifetimes.count / 2], lifetimes[lifetimes.count - 1], refused))
        }
        print(
            "  still open at the end (closed by the bench): \(final.open); connects that failed: \(final.connectFailures)\(final.lastConnectError.map { " (last: \($0))" } ?? "")"
        )
        let cutAfter = try Self.cutCounts(host)
        let reasons = Set(cutBefore.keys).union(cutAfter.keys).sorted()
        print(
            "garrison_connections_cut_total from /metrics/, this phase: "
                + (reasons.isEmpty
                    ? "none" : reasons.map { "\($0) +\(cutAfter[$0, default: 0] - cutBefore[$0, default: 0])" }.joined(separator: ", ")))
        print(
            "load average now: \((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?")"
        )

        host.running.cancel()
        await host.server.shutdown()
    }

    /// `garrison_connections_cut_total` by reason, read from /metrics/ as an operator would.
    static func cutCounts(_ host: BenchHost) throws -> [String: Int] {
        let result = try Subprocess.run("/usr/bin/curl", ["-sk", "-H", "Authorization: Token \(host.token)", "\(host.base)/metrics/"])
        var counts: [String: Int] = [:]
        for line in result.output.split(separator: "\n") where line.hasPrefix("garrison_connections_cut_total{") {
            guard let open = line.range(of: "reason=\""), let close = line[open.upperBound...].firstIndex(of: "\""),
                let value = line.split(separator: " ").last.flatMap({ Double($0) })
            else { continue }
            counts[String(line[open.upperBound..<close])] = Int(value)
        }
        return counts
    }

    /// One wrk connection, one thread, keep-alive TLS, with a 10 s request timeout so a
    /// starved request shows as a timeout rather than vanishing from the percentiles
    /// (wrk's default is 2 s). On its own thread: wrk runs for many seconds.
    static func wrk(url: String, token: String, seconds: Int) async throws -> WrkLatency {
        guard let wrk = Subprocess.which("wrk", extraDirectories: ["/usr/local/bin"]) else {
            throw BenchError("wrk is not installed: apt-get install wrk")
        }
        let arguments = ["-t1", "-c1", "-d\(seconds)s", "--timeout", "10s", "--latency", "-H", "Authorization: Token \(token)", url]
        let output: Result<ProcessOutput, Error> = await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: Result { try Subprocess.run(wrk, arguments) }) }.start()
        }
        return WrkLatency(try output.get().output, seconds: seconds)
    }
}

/// The parts of wrk's --latency output this bench prints.
struct WrkLatency {
    var values: [String: String] = [:]
    var requests = "?"
    var socketErrors = "none"
    var non2xx = "0"
    let seconds: Int

    init(_ output: String, seconds: Int) {
        self.seconds = seconds
        for line in output.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if let label = parts.first, ["50%", "90%", "99%"].contains(label), parts.count > 1 { values[label] = parts[1] }
            // "Latency  avg  stdev  max  +/-stdev"
            if parts.first == "Latency", parts.count > 3 { values["max"] = parts[3] }
            if line.hasPrefix("Requests/sec:"), let value = parts.last { requests = value }
            if line.hasPrefix("Socket errors:") { socketErrors = String(line.dropFirst("Socket errors: ".count)) }
            if line.hasPrefix("Non-2xx"), let value = parts.last { non2xx = value }
        }
    }

    var summary: String {
        "p50 \(values["50%"] ?? "?"), p90 \(values["90%"] ?? "?"), p99 \(values["99%"] ?? "?"), max \(values["max"] ?? "?"), \(requests) req/s over \(seconds) s (wrk -t1 -c1, keep-alive TLS); non-2xx \(non2xx), socket errors \(socketErrors)"
    }
}
