import ArgumentParser
import Foundation
import GarrisonHost

/// `garrison-bench tls`: the real agent's traffic shape, one TLS handshake per request (it
/// sends `Connection: close` on every REST call and keeps no session cache), against nginx
/// serving a static file on the same machine in the same run. nginx shows what the
/// handshake itself costs here; the rest is Garrison's. Rounds alternate (nginx, then each
/// Garrison run), and every Garrison figure is given as a ratio to the nginx run of its round.
/// Each run also gives the CPU the server used per request (from /proc: nginx's master and
/// workers; this process for Garrison, and PostgreSQL's apart), which stays comparable when
/// other work shares the cores and the rates do not: under CFS a server with more runnable
/// threads takes a bigger share of a loaded machine, whatever each request costs.
struct TLSBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls",
        abstract: "Connection: close (a handshake per request): Garrison's health route and check-result PATCH as ratios to nginx.")

    @Option(help: "Seconds per wrk run.") var seconds = 10
    @Option(help: "wrk connections (each request on a new one).") var connections = 32
    @Option(help: "wrk threads.") var threads = 2
    @Option(help: "Alternating rounds.") var rounds = 3
    @Option(help: "Fleet sizes the PATCH runs walk, comma-separated (the largest is seeded).") var agents = "500,2000"
    @Option(help: "Garrison's trivial route (anonymous).") var trivialPath = "/core/status/"
    @Flag(help: "Also one keep-alive PATCH run per round (the checks bench's shape, for comparison).") var keepAlive = false
    @Flag(
        help:
            "Start, seed and warm the host, print its URL and files, and serve until the file <folder>/stop exists (for profiling with callgrind_control)."
    )
    var serve = false

    func run() async throws {
        let sizes = agents.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
        guard let seeded = sizes.max() else { throw BenchError("--agents: give fleet sizes such as 500,2000") }
        let library = try BenchHost.builtPlugin("ChecksPlugin")
        let host = try await BenchHost.start { config in
            try? BenchHost.enable(
                library, file: "40-checks.toml", rest: "\n[settings]\nagent_cache_seconds = 5\n", in: config.pluginsDirectory)
        }
        defer { host.database.stop() }
        try await ChecksBench.seed(host.server.storage.pool, agents: seeded)
        let work = URL(fileURLWithPath: host.database.root.path)
        var agentFiles: [Int: URL] = [:]
        for size in sizes {
            let file = work.appendingPathComponent("agents-\(size).txt")
            try (1...size).map { "\(ChecksBench.agentID($0)) \(ChecksBench.token($0))" }.joined(separator: "\n").write(
                to: file, atomically: true, encoding: .utf8)
            agentFiles[size] = file
        }
        // Steady state as in the checks bench: every agent has called before (its checks'
        // definitions are cached), but not within the 5 s its facts and token are kept.
        let warm = try WrkResult.run(
            url: "\(host.base)/api/v3/x/checkrunner/", token: "", threads: threads, connections: 16, seconds: min(60, seeded / 400 + 3),
            script: try Self.script(work, "warm.lua", ChecksBench.warmScript(agentFiles[seeded]!.path, threads: threads)))
        try await Task.sleep(for: .seconds(6))

        if serve {
            print("garrison-bench tls --serve: \(host.base) (health \(trivialPath)), \(seeded) agents seeded")
            for size in sizes.sorted() {
                let script = try Self.script(work, "patch-close-\(size).lua", ChecksBench.patchScript(agentFiles[size]!.path, close: true))
                print("  agents file (\(size)): \(agentFiles[size]!.path); PATCH script: \(script)")
            }
            print("  touch \(work.appendingPathComponent("stop").path) to stop")
            FileHandle.standardOutput.synchronizeFile()
            while !FileManager.default.fileExists(atPath: work.appendingPathComponent("stop").path) {
                try await Task.sleep(for: .milliseconds(200))
            }
            await host.stop()
            return
        }

        let nginx = try Nginx.start()
        defer { nginx.stop() }
        print(
            "garrison-bench tls: release build, Connection: close on every request (a full TLS 1.3 handshake each, no resumption), "
                + "wrk -t\(threads) -c\(connections), \(seconds) s per run, \(rounds) alternating rounds; "
                + "\(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(Self.loadAverage()) at start")
        print("  \(nginx.version): TLS 1.3, ECDSA P-256, a static 15-byte file, worker_processes auto, access_log off")
        print(
            "  Garrison: in this process, its generated ECDSA P-256 certificate; GET \(trivialPath) (anonymous; SELECT 1 on the database); "
                + "PATCH /api/v3/checkrunner/ of \(sizes.map(String.init).joined(separator: "/")) agents in turn (\(seeded) seeded, 10 checks each)"
        )
        print("  warm-up: \(String(format: "%.0f", warm.requestsPerSecond)) req/s")

        let close = ["Connection: close"]
        let me = getpid()
        let database = ProcessTable.started(by: me, marker: host.database.root.path).map(\.pid)
        let nginxProcesses = [nginx.pid] + ProcessTable.started(by: nginx.pid, marker: nginx.folder.path).map(\.pid)
        struct Row { var rate: Double, p99: Double, ratio: Double, cpu: Double, databaseCPU: Double }
        var rows: [String: [Row]] = [:]
        var order: [String] = []
        /// Runs wrk and says how much CPU `processes` (and PostgreSQL's) used per request.
        func measure(_ processes: [pid_t], _ body: () throws -> WrkResult) rethrows -> (WrkResult, Double, Double) {
            let before = processes.map { ProcessCPU.seconds($0) ?? 0 }.reduce(0, +)
            let databaseBefore = database.map { ProcessCPU.seconds($0) ?? 0 }.reduce(0, +)
            let result = try body()
            let used = processes.map { ProcessCPU.seconds($0) ?? 0 }.reduce(0, +) - before
            let databaseUsed = database.map { ProcessCPU.seconds($0) ?? 0 }.reduce(0, +) - databaseBefore
            let n = Double(max(1, result.requests))
            return (result, used / n * 1_000_000, databaseUsed / n * 1_000_000)
        }
        func record(_ name: String, _ measured: (WrkResult, Double, Double), against base: Double, database: Bool = true) {
            let (result, cpu, databaseCPU) = measured
            if rows[name] == nil { order.append(name) }
            let ratio = base > 0 ? result.requestsPerSecond / base : 0
            rows[name, default: []].append(Row(rate: result.requestsPerSecond, p99: result.p99Milliseconds, ratio: ratio, cpu: cpu, databaseCPU: databaseCPU))
            var line = "  " + name.padding(toLength: 46, withPad: " ", startingAt: 0)
            line += String(format: "%6.0f req/s  p99 %6.1f ms  %5.1f%% of nginx  CPU %4.0f us/req", result.requestsPerSecond, result.p99Milliseconds, ratio * 100, cpu)
            if database { line += String(format: " (+ PostgreSQL %.0f)", databaseCPU) }
            if result.non2xx > 0 { line += "  non-2xx \(result.non2xx)" }
            if !result.socketErrors.isEmpty { line += "  socket errors: \(result.socketErrors)" }
            print(line)
        }
        for round in 1...max(1, rounds) {
            print("round \(round) (load average \(Self.loadAverage())):")
            let base = try measure(nginxProcesses) {
                try WrkResult.run(
                    url: "\(nginx.base)/static.txt", token: "", threads: threads, connections: connections, seconds: seconds, headers: close)
            }
            let baseRate = base.0.requestsPerSecond
            record("nginx GET /static.txt", base, against: baseRate, database: false)
            record(
                "Garrison GET \(trivialPath)",
                try measure([me]) {
                    try WrkResult.run(
                        url: "\(host.base)\(trivialPath)", token: "", threads: threads, connections: connections, seconds: seconds,
                        headers: close)
                }, against: baseRate)
            for size in sizes.sorted() {
                let script = try Self.script(work, "patch-close-\(size).lua", ChecksBench.patchScript(agentFiles[size]!.path, close: true))
                record(
                    "Garrison PATCH checkrunner, \(size) agents",
                    try measure([me]) {
                        try WrkResult.run(
                            url: "\(host.base)/api/v3/checkrunner/", token: "", threads: threads, connections: connections,
                            seconds: seconds, script: script)
                    }, against: baseRate)
            }
            if keepAlive {
                let script = try Self.script(work, "patch-keep-\(seeded).lua", ChecksBench.patchScript(agentFiles[seeded]!.path))
                record(
                    "Garrison PATCH, \(seeded) agents, keep-alive",
                    try measure([me]) {
                        try WrkResult.run(
                            url: "\(host.base)/api/v3/checkrunner/", token: "", threads: threads, connections: connections,
                            seconds: seconds, script: script)
                    }, against: baseRate)
            }
        }
        print("summary, median of \(rounds) rounds (min-max over the rounds in brackets):")
        for name in order {
            let runs = rows[name]!
            func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
            let rates = runs.map(\.rate), ratios = runs.map(\.ratio), p99s = runs.map(\.p99), cpus = runs.map(\.cpu)
            print(
                "  " + name.padding(toLength: 46, withPad: " ", startingAt: 0)
                    + String(
                        format: "%6.0f req/s (%.0f-%.0f)  p99 %5.1f ms (%.1f-%.1f)  %5.1f%% of nginx (%.1f-%.1f)  CPU %.0f us/req (%.0f-%.0f)",
                        median(rates), rates.min()!, rates.max()!, median(p99s), p99s.min()!, p99s.max()!, median(ratios) * 100,
                        ratios.min()! * 100, ratios.max()! * 100, median(cpus), cpus.min()!, cpus.max()!))
        }
        await host.stop()
    }

    static func script(_ folder: URL, _ name: String, _ text: String) throws -> String {
        let file = folder.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}

/// nginx from the Debian package, with its own configuration in a temporary folder: TLS 1.3
/// only, a generated ECDSA P-256 certificate, one static 15-byte file, a free loopback port.
struct Nginx {
    let folder: URL
    let pid: pid_t
    let base: String
    let version: String

    static func start() throws -> Nginx {
        guard let binary = Subprocess.which("nginx", extraDirectories: ["/usr/sbin", "/usr/local/sbin"]) else {
            throw BenchError("nginx is not installed: apt-get install nginx (scripts/install-deps.sh)")
        }
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-bench-nginx-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        let www = folder.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
        // nginx's workers run as nobody: the folder and the file must be theirs to read.
        chmod(folder.path, 0o755)
        chmod(www.path, 0o755)
        try "garrison-bench\n".write(to: www.appendingPathComponent("static.txt"), atomically: true, encoding: .utf8)
        chmod(www.appendingPathComponent("static.txt").path, 0o644)
        let certificate = folder.appendingPathComponent("cert.pem").path, key = folder.appendingPathComponent("key.pem").path
        let openssl = try Subprocess.run(
            Subprocess.which("openssl") ?? "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", certificate,
                "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        guard openssl.status == 0 else { throw BenchError("openssl req failed: \(openssl.output)") }
        let port = FreePort.find()
        let temp = folder.path
        let configuration = """
            worker_processes auto;
            pid \(temp)/nginx.pid;
            error_log \(temp)/error.log warn;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path \(temp)/client_body;
                proxy_temp_path \(temp)/proxy;
                fastcgi_temp_path \(temp)/fastcgi;
                uwsgi_temp_path \(temp)/uwsgi;
                scgi_temp_path \(temp)/scgi;
                default_type text/plain;
                server {
                    listen 127.0.0.1:\(port) ssl;
                    ssl_certificate \(certificate);
                    ssl_certificate_key \(key);
                    ssl_protocols TLSv1.3;
                    root \(www.path);
                }
            }
            """
        let file = folder.appendingPathComponent("nginx.conf")
        try configuration.write(to: file, atomically: true, encoding: .utf8)
        let version =
            (try? Subprocess.run(binary, ["-v"]).output.trimmingCharacters(in: .whitespacesAndNewlines))?.replacingOccurrences(
                of: "nginx version: ", with: "") ?? "nginx"

        let pid = try BenchSpawn.start(
            binary, ["-p", temp, "-c", file.path, "-e", "\(temp)/error.log", "-g", "daemon off;"],
            log: folder.appendingPathComponent("stdout.log").path, name: "nginx")
        let nginx = Nginx(folder: folder, pid: pid, base: "https://127.0.0.1:\(port)", version: version)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let probe = try? Subprocess.run(
                "/usr/bin/curl", ["-sk", "--max-time", "2", "-o", "/dev/null", "-w", "%{http_code}", "\(nginx.base)/static.txt"])
            if probe?.output == "200" { return nginx }
            var exit: Int32 = 0
            if waitpid(pid, &exit, WNOHANG) == pid { break }
            usleep(50_000)
        }
        let log = (try? String(contentsOf: folder.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
        nginx.stop()
        throw BenchError("nginx did not answer on \(nginx.base): \(log)")
    }

    /// SIGQUIT: nginx's graceful stop (its workers finish and exit with the master).
    func stop() {
        guard ProcessTable.isAlive(pid) else { return }
        kill(pid, SIGQUIT)
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(10)
        while waitpid(pid, &status, WNOHANG) == 0, Date() < deadline { usleep(50_000) }
        if ProcessTable.isAlive(pid) {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        try? FileManager.default.removeItem(at: folder)
    }
}

extension WrkResult {
    /// The p99 in milliseconds (wrk prints it as 812.00us, 12.34ms or 1.20s).
    var p99Milliseconds: Double {
        for (suffix, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0)] where p99.hasSuffix(suffix) {
            if let value = Double(p99.dropLast(suffix.count)) { return value * scale }
        }
        return .nan
    }
}
