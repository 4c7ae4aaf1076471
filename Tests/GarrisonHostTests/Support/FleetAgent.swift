import Foundation
@testable import GarrisonHost

/// Tests/Fixtures/Bus/fleet_agent.py: every agent at once on the host's NATS user, answering
/// scripts and commands, logging what each agent received and when.
struct FleetAgent {
    let pid: pid_t
    let directory: URL
    var logFile: URL { directory.appendingPathComponent("fleet.jsonl") }

    static func start(url: String, user: String, password: String) async throws -> FleetAgent {
        let directory = BusTests.temporaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ready = directory.appendingPathComponent("ready")
        let python = try Subprocess.which("python3") ?? { throw TestFailure("python3 not found") }()
        let script = PackagePaths.root.appendingPathComponent("Tests/Fixtures/Bus/fleet_agent.py").path
        let pid = try ChildProcess.spawn(
            python, [script, url, user, password, ready.path, directory.appendingPathComponent("fleet.jsonl").path],
            logFile: directory.appendingPathComponent("fleet.log"))
        let fleet = FleetAgent(pid: pid, directory: directory)
        do {
            try await eventually("fleet agent subscribed") { FileManager.default.fileExists(atPath: ready.path) }
        } catch {
            fleet.stop()
            throw TestFailure("fleet agent did not start")
        }
        return fleet
    }

    /// (agent id, func, receive time) of every command so far.
    var received: [(agent: String, function: String, time: Double)] {
        guard let text = try? String(contentsOf: logFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let value = try? JSON.parse(Data(line.utf8)), let agent = value["agent"]?.stringValue else { return nil }
            return (agent, value["func"]?.stringValue ?? "", value["t"]?.doubleValue ?? 0)
        }
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(at: directory)
    }
}
