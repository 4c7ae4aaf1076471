import AgentEmulator
import AgentWire
import ArgumentParser
import Foundation
import Logging
import NIOCore

/// Runs thousands of emulated Tactical RMM agents (2.9.1 wire format) against a Garrison or
/// Tactical RMM server: enrolls them through the REST API (or reuses identities saved by an
/// earlier run), connects each to wss://HOST/natsws, answers commands and publishes telemetry.
@main
struct AgentEmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "garrison-agent-emulator",
        abstract: "Emulate many Tactical RMM agents over wss /natsws.",
        discussion: """
            Standard input takes commands while running: "hello-interval SECONDS" changes every agent's \
            hello period, "stats" prints the counters, "quit" stops. Counters are also printed every --report seconds.
            """)

    @Option(help: "The server's REST base URL (the installer's --api).") var server = "https://127.0.0.1:8443"
    @Option(help: "NATS websocket URL; default: the server's host and port with /natsws.") var natsURL: String?
    @Option(help: "How many agents to run.") var agents = 100
    @Option(help: "File of 'agent_id token' lines: agents in it are reused, new enrollments appended.") var identities: String?
    @Option(help: "Operator token for enrollment (Authorization: Token ...).") var token: String?
    @Option(help: "Operator API key for enrollment (X-API-KEY).") var apiKey: String?
    @Option(help: "Site the new agents enroll into.") var site = 1
    @Option(help: "Seconds between each agent's agent-hello.") var helloInterval: Double = 30
    @Option(help: "New connections per second.") var connectRate = 500
    @Option(help: "Connections being set up at once.") var maxInFlight = 200
    @Option(help: "Event loop threads.") var threads = System.coreCount
    @Option(help: "Seconds to run after connecting; 0 runs until 'quit' or end of input.") var duration: Double = 0
    @Option(help: "Seconds between counter lines.") var report: Double = 5
    @Flag(help: "Publish the six startup messages after connecting, as an agent's service start does.") var startup = false
    @Flag(help: "Verify the server certificate (off by default: the agent's -insecure, for self-signed hosts).") var verify = false

    func run() async throws {
        try validateCredentials()
        guard let base = URLComponents(string: server), let host = base.host else {
            throw ValidationError("--server must be a URL such as https://127.0.0.1:8443")
        }
        let port = base.port ?? 443
        guard let target = NATSWebSocketTarget(url: natsURL ?? "wss://\(host):\(port)/natsws", verifyCertificate: verify) else {
            throw ValidationError("--nats-url must be wss://host:port/path")
        }
        FileLimit.raiseToHard()
        var settings = AgentFleet.Settings(target: target)
        settings.helloInterval = .nanoseconds(Int64(helloInterval * 1e9))
        settings.connectsPerSecond = connectRate
        settings.maxInFlight = maxInFlight
        settings.sendStartup = startup
        let fleet = try AgentFleet(settings: settings, threads: threads, logger: Logger(label: "agent-emulator"))

        var known = identities.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }.map(AgentIdentity.parseLines) ?? []
        if known.count < agents {
            let missing = agents - known.count
            var authorization: [(String, String)] = []
            if let token { authorization.append(("Authorization", "Token \(token)")) }
            if let apiKey { authorization.append(("X-API-KEY", apiKey)) }
            guard !authorization.isEmpty else {
                throw ValidationError("\(missing) agents need enrolling: give --token or --api-key (an operator allowed to install agents)")
            }
            print("enrolling \(missing) agents at site \(site)")
            let new = try await fleet.enroll(missing, site: site, host: host, port: port, authorization: authorization)
            if let identities {
                let lines = new.map { "\($0.agentID) \($0.token)\n" }.joined()
                if let handle = FileHandle(forWritingAtPath: identities) {
                    handle.seekToEndOfFile()
                    handle.write(Data(lines.utf8))
                    try handle.close()
                } else {
                    try lines.write(toFile: identities, atomically: true, encoding: .utf8)
                }
            }
            known += new
        }
        let chosen = Array(known.prefix(agents))
        let started = ContinuousClock.now
        print("connecting \(chosen.count) agents to wss://\(target.host):\(target.port)\(target.path)")
        let failures = await fleet.connect(chosen)
        print(
            String(
                format: "connected %d agents in %.1f s; %d failed", fleet.stats.snapshot.connected,
                Double((ContinuousClock.now - started).components.attoseconds) / 1e18
                    + Double((ContinuousClock.now - started).components.seconds), failures.count))
        for (agent, reason) in failures.prefix(5) { print("  \(agent): \(reason)") }
        fflush(nil)

        // Counters and commands on plain threads: they must keep going however busy the
        // event loops and the task pool are.
        let interval = report
        Thread.detachNewThread {
            while true {
                Thread.sleep(forTimeInterval: interval)
                Self.say("stats \(fleet.stats.snapshot)")
            }
        }
        if duration > 0 {
            try? await Task.sleep(for: .seconds(duration))
        } else {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                Thread.detachNewThread {
                    Self.readCommands(fleet)
                    done.resume()
                }
            }
        }
        Self.say("final \(fleet.stats.snapshot)")
        await fleet.shutdown()
    }

    /// One line to standard output, flushed at once (it is usually a file or a pipe).
    static func say(_ line: String) {
        print(line)
        fflush(nil)
    }

    private func validateCredentials() throws {
        if token != nil, apiKey != nil { throw ValidationError("give --token or --api-key, not both") }
    }

    /// Standard input commands; returns on "quit" or end of input.
    static func readCommands(_ fleet: AgentFleet) {
        while let line = readLine() {
            let words = line.split(separator: " ")
            switch words.first {
            case "hello-interval":
                if words.count == 2, let seconds = Double(words[1]), seconds > 0 {
                    fleet.setHelloInterval(.nanoseconds(Int64(seconds * 1e9)))
                    say("hello-interval \(seconds)")
                } else {
                    say("usage: hello-interval SECONDS")
                }
            case "stats": say("stats \(fleet.stats.snapshot)")
            case "quit": return
            default: say("commands: hello-interval SECONDS | stats | quit")
            }
        }
    }
}
