import Foundation
@testable import GarrisonHost

/// Tests/Fixtures/Bus/command_agent.py running as one agent: answers commands as agent 2.9.1
/// does and logs each one it receives, so tests can see exactly what went over the wire.
struct CommandAgent {
    let pid: pid_t
    let directory: URL
    var logFile: URL { directory.appendingPathComponent("commands.jsonl") }

    static var script: String { PackagePaths.root.appendingPathComponent("Tests/Fixtures/Bus/command_agent.py").path }

    static func start(url: String, agentID: String, token: String, hello: Bool = false) async throws -> CommandAgent {
        let directory = BusTests.temporaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ready = directory.appendingPathComponent("ready")
        let python = try Subprocess.which("python3") ?? { throw TestFailure("python3 not found") }()
        let pid = try ChildProcess.spawn(
            python,
            [script, url, agentID, token, ready.path, directory.appendingPathComponent("commands.jsonl").path] + (hello ? ["hello"] : []),
            logFile: directory.appendingPathComponent("agent.log"))
        let agent = CommandAgent(pid: pid, directory: directory)
        do {
            try await eventually("command agent subscribed") { FileManager.default.fileExists(atPath: ready.path) }
        } catch {
            let log = (try? String(contentsOf: directory.appendingPathComponent("agent.log"), encoding: .utf8)) ?? ""
            agent.stop()
            throw TestFailure("command agent did not start: \(log)")
        }
        return agent
    }

    /// Every command received so far: (the decoded command, whether it came with a reply subject).
    var received: [(command: JSON, replied: Bool)] {
        guard let text = try? String(contentsOf: logFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let value = try? JSON.parse(Data(line.utf8)) else { return nil }
            return (value["cmd"] ?? .null, value["reply"]?.boolValue ?? false)
        }
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(at: directory)
    }
}
