import ArgumentParser
import Foundation
import GarrisonHost

/// `garrison-bench dashboard`: the web dashboard's figures.
///
/// 1. The agent list's first render with 10,000 agents: headless Chromium (selenium,
///    Tests/Fixtures/Dashboard/browser.py `render`), signed in already, from navigation start
///    to the first page of rows on screen; the first round with the browser cache off, then
///    warm rounds; and the bytes the page itself transferred (not its API answers).
/// 2. 1,000 open /ws/dashinfo/ sockets (PyPI websockets in a child process,
///    Tests/Fixtures/Dashboard/hold_sockets.py): the host's resident memory before and after,
///    and its CPU while they idle (the 30 s counts push and ping included).
///
/// The host runs in this process (its RSS and CPU are this process's), PostgreSQL, the
/// browser and the socket holder in their own.
struct DashboardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard", abstract: "Agent list first render with 10,000 agents; 1,000 idle dashboard websockets' memory and CPU.")

    @Option(help: "Agents to seed.") var agents = 10_000
    @Option(help: "Dashboard websockets to hold open.") var sockets = 1_000
    @Option(help: "Seconds to measure the idle sockets' CPU (two pushes at 30 s each by default).") var idleSeconds = 65
    @Option(help: "Page loads of the agent list (the first with the browser cache off).") var rounds = 5

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/Dashboard")

    func run() async throws {
        _ = FileLimit.raiseToHard()
        let host = try await BenchHost.start { config in
            config.maxWebSocketsPerUser = max(20, sockets + 10)
            config.maxConnectionsPerAddress = max(2048, sockets * 2 + 100)
        }
        defer { host.database.stop() }
        try await host.server.storage.pool.transaction { c in try BenchSeed.fleet(c, agents: agents) }
        print("garrison-bench dashboard: \(agents) agents over 100 clients; host in this process, 2 cores shared with PostgreSQL and the clients")

        // 1. First render.
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("garrison-bench-dashboard").path
        let arguments = JSON.object(["token": .string(host.token), "rounds": .init(rounds)])
        guard let python = Subprocess.which("python3") else { throw BenchError("python3 not found (scripts/install-deps.sh)") }
        let render = try Subprocess.run(
            python,
            [Self.fixtures.appendingPathComponent("browser.py").path, "render", host.base, output, String(decoding: arguments.serialized(), as: UTF8.self)])
        guard render.status == 0, let line = render.output.split(separator: "\n").last(where: { $0.hasPrefix("ok ") }) else {
            throw BenchError("the browser run failed:\n\(render.output)")
        }
        print("agent list, navigation start to rows on screen (Chromium headless): \(line.dropFirst(3))")

        // 2. Idle websockets.
        let before = Self.residentKB()
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: python)
        holder.arguments = [
            Self.fixtures.appendingPathComponent("hold_sockets.py").path,
            host.base.replacingOccurrences(of: "https://", with: "wss://") + "/ws/dashinfo/?access_token=\(host.token)", String(sockets),
        ]
        let input = Pipe()
        let out = Pipe()
        holder.standardInput = input
        holder.standardOutput = out
        try holder.run()
        let opened = try await Task.detached { out.fileHandleForReading.readLine() }.value ?? ""
        guard opened.hasPrefix("open ") else { throw BenchError("the socket holder failed: \(opened)") }
        let parts = opened.split(separator: " ")
        print("\(parts[1]) websockets open on /ws/dashinfo/ after \(parts.count > 2 ? parts[2] : "?") s (host counts \(host.server.sockets.openCount))")
        try await Task.sleep(for: .seconds(3))
        let after = Self.residentKB()
        print(
            String(
                format: "host resident memory: %.1f MB before, %.1f MB with them: %.1f MB for %d sockets (%.1f KB each)", Double(before) / 1024,
                Double(after) / 1024, Double(after - before) / 1024, sockets, Double(after - before) / Double(max(1, sockets))))
        let cores = try await ProcessCPU.cores([getpid()], over: .seconds(idleSeconds))[0]
        input.fileHandleForWriting.write(Data("stats\n".utf8))
        let messages = try await Task.detached { out.fileHandleForReading.readLine() }.value ?? ""
        print(String(format: "host CPU while they idle for %d s: %.2f%% of a core (%@ received by the clients in all)", idleSeconds, cores * 100, messages))
        input.fileHandleForWriting.write(Data("quit\n".utf8))
        holder.waitUntilExit()
        await host.stop()
    }

    static func residentKB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}

extension FileHandle {
    /// One line of text (without its newline), or nil at the end.
    func readLine() -> String? {
        var bytes: [UInt8] = []
        while true {
            let chunk = readData(ofLength: 1)
            guard let byte = chunk.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == 10 { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
    }
}
